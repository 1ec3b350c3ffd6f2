package io.ffpoll.http;

import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.parse.RequestHead;

/** The API's side of {@link HttpAccess}: what the layers under it may do beyond the public API. */
final class HttpAccessBridge extends HttpAccess {
    @Override
    public Request request(RequestHead head) {
        return new Request(head);
    }

    @Override
    public RequestHead head(Request r) {
        return r.head;
    }
}
