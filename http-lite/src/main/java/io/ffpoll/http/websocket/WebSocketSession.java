package io.ffpoll.http.websocket;

import io.ffpoll.http.Request;
import io.ffpoll.http.WebSocket;
import io.ffpoll.http.WebSocketHandler;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.serve.Upgraded;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.net.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

import static io.ffpoll.http.websocket.WebSocketFrames.*;

/**
 * A connection after its upgrade to WebSocket: reads frames (RFC 6455 5), puts fragmented
 * messages together, answers pings, runs the closing handshake (5.5.1, 7), and fails the
 * connection on a protocol error with its code (1002, 1007, 1009). Only whole frames are taken
 * from the connection; a frame over the limit is refused from its header, before its payload
 * is read, so one peer holds at most a frame and a message in memory. While the peer does not
 * read (the queue above its high watermark) or a blocking handler falls behind, reading
 * pauses, as an HTTP connection's does. Loop thread, except {@link #send} and {@link #close}.
 */
public final class WebSocketSession implements Upgraded {
    private static final HttpAccess HTTP = HttpAccess.get();
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketSession.class);
    private static final byte[] EMPTY = new byte[0];
    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private final Connection c;
    private final EventLoop loop;
    private final WebSocketHandler handler;
    final WebSocket socket;
    private final WebSocketCallbacks callbacks; // null: the handler runs on the loop
    private final int maxFrame;
    private final long maxMessage;
    private final String subprotocol;

    private boolean closeSent;
    private boolean reported;
    private int sentCode = ABNORMAL;
    private String sentReason = "";
    private int messageOpcode = -1; // the fragmented message under way
    private byte[] message;
    private int messageLength;
    private boolean pausedForWrites;
    volatile boolean pausedForCallbacks;
    private volatile boolean open = true;
    private volatile boolean writable = true;
    private final WebSocketSendGate gate = new WebSocketSendGate(this);

    WebSocketSession(Connection c, WebSocketRoute route, Request request, String subprotocol, int maxFrame, long maxMessage) {
        this.c = c;
        this.loop = c.loop();
        this.handler = route.handler;
        this.subprotocol = subprotocol;
        this.maxFrame = maxFrame;
        this.maxMessage = maxMessage;
        this.socket = HTTP.webSocket(this, request);
        this.callbacks = route.blocking ? new WebSocketCallbacks(this, loop, maxMessage) : null;
        this.writable = c.isWritable();
    }

    /** The handshake's answer is queued: the handler hears of the socket, and of its end if the server is stopping. */
    @Override
    public void opened(boolean serverStopping) {
        call(() -> handler.onOpen(socket), 0);
        if (serverStopping) {
            goingAway();
        }
    }

    /** The server is stopping: 1001. */
    @Override
    public void goingAway() {
        close(GOING_AWAY, "the server is shutting down".getBytes(StandardCharsets.US_ASCII));
    }

    public String subprotocol() {
        return subprotocol;
    }

    public boolean isOpen() {
        return open;
    }

    public boolean isWritable() {
        return writable;
    }

    /** Takes the whole frames at the start of {@code data}; returns the bytes taken. */
    @Override
    public long onData(MemorySegment data) {
        long pos = 0;
        long end = data.byteSize();
        while (pos < end && c.isOpen() && !c.isClosing()) {
            if (!c.isWritable()) {
                // The peer does not read what we send (echoes, pongs): read no more from it.
                pausedForWrites = true;
                c.pauseReading();
                return pos;
            }
            if (callbacks != null && callbacks.behind()) {
                // Flag first, then look again: the handler's thread reads the flag after it
                // lowers the count, so one of the two sees the other (no wakeup is lost).
                pausedForCallbacks = true;
                if (callbacks.behind()) {
                    c.pauseReading();
                    return pos;
                }
                pausedForCallbacks = false;
            }
            long n = frame(data, pos, end);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                return end;
            }
            pos += n;
        }
        return c.isClosing() || !c.isOpen() ? end : pos;
    }

    /** One frame at {@code pos}: its length, 0 if it is not all here, -1 if the connection failed. */
    private long frame(MemorySegment d, long pos, long end) {
        long available = end - pos;
        if (available < 2) {
            return 0;
        }
        int b0 = d.get(ValueLayout.JAVA_BYTE, pos) & 0xFF;
        int b1 = d.get(ValueLayout.JAVA_BYTE, pos + 1) & 0xFF;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        boolean control = (opcode & 0x8) != 0;
        if ((b0 & 0x70) != 0) {
            return fail(PROTOCOL_ERROR, "reserved bits are set, and no extension was agreed");
        }
        if (opcode > BINARY && opcode < CLOSE || opcode > PONG) {
            return fail(PROTOCOL_ERROR, "unknown opcode " + opcode);
        }
        if ((b1 & 0x80) == 0) {
            return fail(PROTOCOL_ERROR, "a client's frames must be masked");
        }
        long header = 2;
        long length = b1 & 0x7F;
        if (length == 126) {
            if (available < 4) {
                return 0;
            }
            length = d.get(BE_SHORT, pos + 2) & 0xFFFF;
            header = 4;
        } else if (length == 127) {
            if (available < 10) {
                return 0;
            }
            length = d.get(BE_LONG, pos + 2);
            header = 10;
            if (length < 0) {
                return fail(PROTOCOL_ERROR, "a frame length with its top bit set");
            }
        }
        if (control && (!fin || length > 125)) {
            return fail(PROTOCOL_ERROR, "a control frame must be whole and at most 125 bytes");
        }
        if (length > maxFrame) {
            return fail(TOO_BIG, "a frame of " + length + " bytes is over the limit of " + maxFrame);
        }
        header += 4;
        if (available < header + length) {
            return 0;
        }
        byte[] payload = WebSocketFrames.unmask(d, pos + header - 4, pos + header, (int) length);
        switch (opcode) {
            case TEXT, BINARY -> {
                if (messageOpcode != -1) {
                    return fail(PROTOCOL_ERROR, "a new message began inside a fragmented one");
                }
                if (length > maxMessage) {
                    return fail(TOO_BIG, "a message of " + length + " bytes is over the limit of " + maxMessage);
                }
                if (fin) {
                    if (!deliver(opcode, payload, payload.length)) {
                        return -1;
                    }
                } else {
                    messageOpcode = opcode;
                    message = payload;
                    messageLength = payload.length;
                }
            }
            case CONTINUATION -> {
                if (messageOpcode == -1) {
                    return fail(PROTOCOL_ERROR, "a continuation frame with no message to continue");
                }
                if (messageLength + length > maxMessage) {
                    return fail(TOO_BIG, "a message over the limit of " + maxMessage + " bytes");
                }
                if (message.length < messageLength + length) {
                    message = Arrays.copyOf(message, (int) Math.min(maxMessage, Math.max(messageLength + length, 2L * message.length)));
                }
                System.arraycopy(payload, 0, message, messageLength, payload.length);
                messageLength += payload.length;
                if (fin) {
                    int op = messageOpcode;
                    byte[] m = message;
                    int n = messageLength;
                    messageOpcode = -1;
                    message = null;
                    messageLength = 0;
                    if (!deliver(op, m, n)) {
                        return -1;
                    }
                }
            }
            case CLOSE -> {
                return closeReceived(payload) ? header + length : -1;
            }
            case PING -> {
                sendNow(WebSocketFrames.frame(PONG, payload, 0, payload.length));
                call(() -> handler.onPing(socket, payload), payload.length);
            }
            default -> call(() -> handler.onPong(socket, payload), payload.length); // PONG
        }
        return header + length;
    }

    /** Hands a whole message to the handler; false if it failed the connection (text that is not UTF-8). */
    private boolean deliver(int opcode, byte[] bytes, int length) {
        if (opcode == TEXT) {
            String text = utf8(bytes, 0, length);
            if (text == null) {
                fail(INVALID_DATA, "a text message that is not UTF-8");
                return false;
            }
            call(() -> handler.onText(socket, text), length);
        } else {
            byte[] data = length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
            call(() -> handler.onBinary(socket, data), length);
        }
        return true;
    }

    /** The peer's close frame: answered with ours (its code echoed), then the connection ends. */
    private boolean closeReceived(byte[] payload) {
        int code = NO_CODE;
        String reason = "";
        if (payload.length == 1) {
            fail(PROTOCOL_ERROR, "a close frame of one byte");
            return false;
        }
        if (payload.length >= 2) {
            code = (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
            if (!wireCode(code)) {
                fail(PROTOCOL_ERROR, "close code " + code + " may not be sent");
                return false;
            }
            reason = utf8(payload, 2, payload.length - 2);
            if (reason == null) {
                fail(INVALID_DATA, "a close reason that is not UTF-8");
                return false;
            }
        }
        if (!closeSent) {
            sendClose(code == NO_CODE ? NORMAL : code, EMPTY);
        }
        report(code, reason);
        c.closeLingering(); // the server closes the TCP connection first (7.1.1)
        return true;
    }

    /** Fails the WebSocket connection (7.1.7): our close frame with {@code code}, then the end. */
    private long fail(int code, String why) {
        LOG.debug("WebSocket {} failed ({}): {}", socket, code, why);
        if (!closeSent) {
            sendClose(code, why.length() <= 123 ? why.getBytes(StandardCharsets.UTF_8) : EMPTY);
        }
        report(code, why);
        c.closeLingering();
        return -1;
    }

    private void sendClose(int code, byte[] reason) {
        byte[] p = closePayload(code, reason);
        sendNow(WebSocketFrames.frame(CLOSE, p, 0, p.length));
        closeSent = true;
        open = false;
        sentCode = code;
        sentReason = new String(reason, StandardCharsets.UTF_8);
    }

    /** A whole frame (a message or a ping) from any thread; false once the socket no longer sends. */
    public boolean send(byte[] frame) {
        if (!open) {
            return false;
        }
        if (loop.inEventLoop()) {
            return sendNow(frame);
        }
        if (Thread.currentThread().isVirtual() && !gate.waitForRoom()) {
            return false; // interrupted: the caller is being stopped
        }
        long cost = gate.handed(frame.length);
        try {
            loop.execute(() -> {
                sendNow(frame);
                gate.queued(cost);
            });
            return open;
        } catch (RejectedExecutionException loopGone) {
            gate.queued(cost);
            return false;
        }
    }

    /** Queues a whole frame, in one write: its header never goes without its payload, whatever the queue's cap does. */
    private boolean sendNow(byte[] frame) {
        if (closeSent || !c.isOpen() || c.isClosing()) {
            return false;
        }
        return c.write(frame);
    }

    /** {@link WebSocket#close} from any thread: our close frame, then the connection ends once the peer answers or leaves. */
    public void close(int code, byte[] reason) {
        if (!loop.inEventLoop()) {
            try {
                loop.execute(() -> close(code, reason));
            } catch (RejectedExecutionException loopGone) {
                // the server stopped: the connection is gone already
            }
            return;
        }
        if (closeSent || !c.isOpen() || c.isClosing()) {
            return;
        }
        sendClose(code, reason);
        c.closeLingering(); // what the peer sends now, its close frame too, is read and dropped
    }

    @Override
    public void writabilityChanged(boolean now) {
        writable = now;
        if (now) {
            gate.changed();
        }
        if (callbacks == null) {
            call(() -> handler.onWritabilityChanged(socket, now), 0);
        }
        if (now && pausedForWrites) {
            pausedForWrites = false;
            c.resumeReading();
        }
    }

    /** A blocking handler caught up: read on. Loop thread. */
    void callbacksCaughtUp() {
        if (pausedForCallbacks && !callbacks.behind() && c.isOpen()) {
            pausedForCallbacks = false;
            c.resumeReading();
        }
    }

    /** The connection ended: the handler hears it, if it has not heard a close yet. */
    @Override
    public void ended(java.io.IOException cause) {
        open = false;
        gate.changed();
        if (closeSent) {
            report(sentCode, sentReason);
        } else {
            if (cause != null) {
                LOG.debug("WebSocket {} ended without a close frame: {}", socket, cause.toString());
            }
            report(ABNORMAL, "");
        }
    }

    private void report(int code, String reason) {
        if (reported) {
            return;
        }
        reported = true;
        open = false;
        call(() -> handler.onClose(socket, code, reason), 0);
    }

    interface Callback {
        void run() throws Exception;
    }

    /** Runs a handler callback on the loop, or queues it for the blocking handler's thread. */
    private void call(Callback callback, long size) {
        if (callbacks != null) {
            callbacks.add(callback, size);
            return;
        }
        try {
            callback.run();
        } catch (Throwable t) {
            handlerFailed(t);
        }
    }

    /** A callback threw: its WebSocket closes with 1011; the server goes on. Any thread. */
    void handlerFailed(Throwable t) {
        LOG.warn("WebSocket handler for {} failed; closing it with 1011", socket, t);
        close(INTERNAL_ERROR, EMPTY);
    }
}
