package io.ffpoll.bench;

import io.ffpoll.http.HttpServer;
import io.ffpoll.http.WebSocket;
import io.ffpoll.http.WebSocketHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * http-lite's WebSocket echo on one loop at /ws (text and binary back as they came), for
 * {@code bench/load-websocket}. Usage: {@code FfpollWebSocketServer [port] [engine]} (18096, the
 * OS's default engine).
 */
public final class FfpollWebSocketServer {
    private FfpollWebSocketServer() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18096;
        HttpServer.Builder b = HttpServer.builder().threads(1)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .webSocket("/ws", new WebSocketHandler() {
                    @Override
                    public void onText(WebSocket socket, String text) {
                        socket.sendText(text);
                    }

                    @Override
                    public void onBinary(WebSocket socket, byte[] data) {
                        socket.sendBinary(data);
                    }
                });
        if (args.length > 1) {
            b.backend(args[1]);
        }
        HttpServer server = b.start();
        System.out.println("ffpoll websocket echo on 127.0.0.1:" + port + " (" + server.backend() + ")");
        Thread.currentThread().join();
    }
}
