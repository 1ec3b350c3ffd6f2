package io.ffpoll.multiplexer.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * The little DER that PEM keys need: reading the elements of PKCS#8 and SEC1 structures, and
 * writing the PKCS#8 wrapper around a PKCS#1 or SEC1 key. Definite lengths and low tag numbers
 * only, which is all DER allows for these structures; anything else is malformed input.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    /** The explicit context tag [0], constructed: SEC1's curve parameters. */
    static final int CONTEXT_0 = 0xA0;

    /** rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017). */
    static final byte[] RSA_ENCRYPTION = {0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480). */
    static final byte[] EC_PUBLIC_KEY = {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};

    private Der() {}

    /**
     * One element of {@link #buf}: its tag, and where its content lies.
     *
     * @param tag the identifier octet
     * @param buf the whole encoding it was read from
     * @param start the first content byte
     * @param end one past the last content byte
     */
    record Element(int tag, byte[] buf, int start, int end) {
        byte[] content() {
            return Arrays.copyOfRange(buf, start, end);
        }

        /** {@return a reader over the elements this constructed one holds} */
        Reader children() {
            return new Reader(buf, start, end);
        }
    }

    /** Reads consecutive elements of one level. */
    static final class Reader {
        private final byte[] buf;
        private final int end;
        private int pos;

        Reader(byte[] buf) {
            this(buf, 0, buf.length);
        }

        Reader(byte[] buf, int start, int end) {
            this.buf = buf;
            this.pos = start;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        /**
         * The next element, which must carry {@code tag}.
         *
         * @param tag the tag expected
         * @param what what the element is, for the message
         * @return the element
         * @throws IOException if the input ends, is malformed, or carries another tag
         */
        Element next(int tag, String what) throws IOException {
            Element e = next();
            if (e.tag() != tag) {
                throw new IOException("malformed DER: expected " + what + " (tag 0x" + Integer.toHexString(tag)
                        + "), found tag 0x" + Integer.toHexString(e.tag()));
            }
            return e;
        }

        Element next() throws IOException {
            if (pos + 2 > end) {
                throw new IOException("malformed DER: truncated element");
            }
            int tag = buf[pos++] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new IOException("malformed DER: multi-byte tag");
            }
            int first = buf[pos++] & 0xFF;
            long length;
            if (first < 0x80) {
                length = first;
            } else {
                int octets = first & 0x7F;
                // 0x80 is BER's indefinite length, which DER forbids; four octets already
                // exceed any key file.
                if (octets == 0 || octets > 4 || pos + octets > end) {
                    throw new IOException("malformed DER: bad length");
                }
                length = 0;
                for (int i = 0; i < octets; i++) {
                    length = (length << 8) | (buf[pos++] & 0xFF);
                }
            }
            if (length > end - pos) {
                throw new IOException("malformed DER: length runs past the end");
            }
            Element e = new Element(tag, buf, pos, pos + (int) length);
            pos += (int) length;
            return e;
        }
    }

    /**
     * Encodes one element.
     *
     * @param tag its tag
     * @param parts the content, concatenated
     * @return tag, length and content
     */
    static byte[] encode(int tag, byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else {
            int octets = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int i = octets - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * A PKCS#8 PrivateKeyInfo (RFC 5208): version 0, the algorithm and its parameters, and the
     * algorithm's own key encoding as an OCTET STRING.
     *
     * @param algorithm the algorithm OID's content octets
     * @param parameters the parameters element, encoded (NULL for RSA, the curve OID for EC)
     * @param key the key in the algorithm's own form (PKCS#1, SEC1)
     * @return the encoding
     */
    static byte[] pkcs8(byte[] algorithm, byte[] parameters, byte[] key) {
        byte[] version = encode(INTEGER, new byte[] {0});
        byte[] algorithmId = encode(SEQUENCE, encode(OID, algorithm), parameters);
        return encode(SEQUENCE, version, algorithmId, encode(OCTET_STRING, key));
    }

    /**
     * The dotted form of an OID, for messages.
     *
     * @param content the OID's content octets
     * @return such as {@code 1.2.840.113549.1.1.1}
     */
    static String oidString(byte[] content) {
        StringBuilder s = new StringBuilder();
        long value = 0;
        boolean first = true;
        for (byte b : content) {
            value = (value << 7) | (b & 0x7F);
            if ((b & 0x80) != 0) {
                continue;
            }
            if (first) {
                // The first subidentifier packs two arcs: 40 * x + y, with x at most 2.
                long x = Math.min(value / 40, 2);
                s.append(x).append('.').append(value - 40 * x);
                first = false;
            } else {
                s.append('.').append(value);
            }
            value = 0;
        }
        return s.toString();
    }
}
