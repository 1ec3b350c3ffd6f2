package io.ffpoll.http;

import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.parse.RequestHead;
import io.ffpoll.http.serve.Compression;
import io.ffpoll.http.websocket.WebSocketSession;
import io.ffpoll.multiplexer.net.OpenFile;

import java.util.function.Supplier;

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

    @Override
    public WebSocket webSocket(WebSocketSession session, Request request) {
        return new WebSocket(session, request);
    }

    @Override
    public byte[] fields(Response r) {
        return r.fields;
    }

    @Override
    public byte[] body(Response r) {
        return r.body;
    }

    @Override
    public Supplier<BodyProducer> source(Response r) {
        return r.source;
    }

    @Override
    public long length(Response r) {
        return r.length;
    }

    @Override
    public boolean chunkedOn11(Response r) {
        return r.chunkedOn11;
    }

    @Override
    public byte[] lengthField(Response r) {
        return r.lengthField;
    }

    @Override
    public OpenFile file(Response r) {
        return r.file;
    }

    @Override
    public long filePosition(Response r) {
        return r.filePosition;
    }

    @Override
    public String type(Response r) {
        return r.type;
    }

    @Override
    public boolean encoded(Response r) {
        return r.encoded;
    }

    @Override
    public boolean hasContent(Response r) {
        return r.hasContent();
    }

    @Override
    public Response fileResponse(int status, byte[] fields, OpenFile file, long position, long count) {
        return Response.file(status, fields, file, position, count);
    }

    @Override
    public Response withFields(int status, byte[] fields, byte[] body, String type, boolean encoded) {
        return Response.withFields(status, fields, body, type, encoded);
    }

    @Override
    public Response gzipped(Response r, Compression.Gzip gzip) {
        return r.gzipped(gzip);
    }

    @Override
    public Response varied(Response r) {
        return r.varied();
    }
}
