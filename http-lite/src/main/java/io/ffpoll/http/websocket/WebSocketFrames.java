package io.ffpoll.http.websocket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * RFC 6455's frame format (5.2) as the server needs it: opcodes, the header of a frame it
 * sends (FIN set, unmasked, the shortest length encoding), the close codes (7.4), and strict
 * UTF-8 decoding for text and close reasons (8.1).
 */
public final class WebSocketFrames {
    static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    static final int PONG = 0xA;

    static final int NORMAL = 1000;
    static final int GOING_AWAY = 1001;
    static final int PROTOCOL_ERROR = 1002;
    static final int UNSUPPORTED = 1003;
    static final int NO_CODE = 1005;
    static final int ABNORMAL = 1006;
    static final int INVALID_DATA = 1007;
    static final int TOO_BIG = 1009;
    static final int INTERNAL_ERROR = 1011;

    private WebSocketFrames() {}

    /** A final, unmasked frame of {@code opcode} carrying {@code src[offset, offset + length)}, header and payload in one array. */
    public static byte[] frame(int opcode, byte[] src, int offset, int length) {
        int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
        byte[] f = new byte[header + length];
        f[0] = (byte) (0x80 | opcode);
        if (length < 126) {
            f[1] = (byte) length;
        } else if (length <= 0xFFFF) {
            f[1] = 126;
            f[2] = (byte) (length >>> 8);
            f[3] = (byte) length;
        } else {
            f[1] = 127;
            for (int i = 0; i < 8; i++) {
                f[2 + i] = (byte) ((long) length >>> (56 - 8 * i));
            }
        }
        System.arraycopy(src, offset, f, header, length);
        return f;
    }

    /** A close frame's payload: the code, big-endian, then the reason. */
    static byte[] closePayload(int code, byte[] reason) {
        byte[] p = new byte[2 + reason.length];
        p[0] = (byte) (code >>> 8);
        p[1] = (byte) code;
        System.arraycopy(reason, 0, p, 2, reason.length);
        return p;
    }

    /** Whether a close frame may carry {@code code} on the wire (7.4.1, 7.4.2): 1004-1006 and 1015 are reserved. */
    static boolean wireCode(int code) {
        return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }

    /** Whether an application may close with {@code code}: a wire code (1012-1014 included, as IANA registered them). */
    public static boolean sendableCode(int code) {
        return wireCode(code);
    }

    /** {@code bytes} as text, or null if they are not valid UTF-8. */
    static String utf8(byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The payload of a client's frame at {@code from}, unmasked with the key at {@code keyAt} (5.3). */
    static byte[] unmask(MemorySegment d, long keyAt, long from, int length) {
        byte[] key = new byte[4];
        MemorySegment.copy(d, ValueLayout.JAVA_BYTE, keyAt, key, 0, 4);
        byte[] p = new byte[length];
        MemorySegment.copy(d, ValueLayout.JAVA_BYTE, from, p, 0, length);
        for (int i = 0; i < length; i++) {
            p[i] ^= key[i & 3];
        }
        return p;
    }

}
