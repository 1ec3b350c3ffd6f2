package io.ffpoll.http.serve;

import io.ffpoll.http.Response;
import io.ffpoll.http.internal.HttpAccess;

/**
 * Whole keep-alive HTTP/1.1 responses (status line, Server, Date, fields, framing, body)
 * encoded into one array, for the last few Response objects a loop served: a handler that
 * returns a constant Response is then answered with one copy into the write queue. An entry is
 * valid for one Date line (one second). Loop thread only.
 */
final class EncodedResponses {
    private static final HttpAccess HTTP = HttpAccess.get();
    private static final int SIZE = 8;
    private final Response[] responses = new Response[SIZE];
    private final byte[][] dates = new byte[SIZE][];
    private final byte[][] encoded = new byte[SIZE][];
    private int next;

    /** {@code r}, which has a fixed body, as a keep-alive HTTP/1.1 response to a request other than HEAD. */
    byte[] get(Response r, byte[] dateLine) {
        for (int i = 0; i < SIZE; i++) {
            if (responses[i] == r && dates[i] == dateLine) {
                return encoded[i];
            }
        }
        byte[] status = HttpStatus.line(r.status());
        byte[] body = HTTP.hasContent(r) ? HTTP.body(r) : new byte[0];
        byte[][] parts = {status, ResponseWriter.SERVER, dateLine, HTTP.fields(r), HTTP.lengthField(r), {'\r', '\n'}, body};
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int p = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, p, part.length);
            p += part.length;
        }
        int slot = next++ % SIZE;
        responses[slot] = r;
        dates[slot] = dateLine;
        encoded[slot] = out;
        return out;
    }
}
