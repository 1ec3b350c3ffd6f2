package io.ffpoll.bindings;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which exception class an errno becomes: the JDK's choices for socket calls (its
 * {@code handleSocketError}: SocketException unless a subclass says more), a plain
 * IOException for the calls on other descriptors, and the message that names the call.
 */
class ErrorsTest {

    @Test
    void aSocketCallsErrnoIsASocketExceptionUnlessASubclassSaysMore() {
        for (String call : List.of("connect(/run/app.sock)", "bind(/run/app.sock)", "socket(AF_UNIX)",
                "socketpair(SOCK_SEQPACKET)", "sendmsg(fd 7, 3 bytes, 1 descriptor(s))", "recvmsg(fd 7)",
                "send(fd 7, 127.0.0.1:80)", "sendto(to 127.0.0.1:9)", "recvfrom(fd 3 on 0.0.0.0:53)",
                "listen(fd 5, 128)", "accept(fd 5)", "getsockopt(fd 5, TCP_INFO)", "setsockopt(SO_NOSIGPIPE) on fd 5",
                "getsockname(fd 5)", "getpeername(fd 5)", "shutdown(fd 5, SHUT_WR)")) {
            IOException e = Errors.exception(call, Err.ENOENT);
            assertEquals(SocketException.class, e.getClass(), call);
            assertEquals(call + ": ENOENT (No such file or directory)", e.getMessage());
            assertEquals(SocketException.class, Errors.exception(call, Err.EBADF).getClass(), call);
        }
        assertEquals(ConnectException.class, Errors.exception("connect(/run/app.sock)", Err.ECONNREFUSED).getClass());
        assertEquals(ConnectException.class, Errors.exception("connect(10.0.0.1:80)", Err.ETIMEDOUT).getClass());
        assertEquals(NoRouteToHostException.class, Errors.exception("connect(10.0.0.1:80)", Err.EHOSTUNREACH).getClass());
        assertEquals(BindException.class, Errors.exception("bind(/run/app.sock)", Err.EADDRINUSE).getClass());
    }

    @Test
    void callsOnOtherDescriptorsKeepAPlainIoException() {
        for (String call : List.of("fcntl(fd 5, F_GETFL)", "read(fd 5, fd 5)", "writev(fd 5, fd 5)",
                "epoll_ctl(EPOLL_CTL_ADD, eventfd 4)", "kevent(kq 3, 1 changes)", "close(5)", "getrlimit(RLIMIT_NOFILE)",
                "sockets(5)", "connector")) {
            IOException e = Errors.exception(call, Err.ENOENT);
            assertEquals(IOException.class, e.getClass(), call);
            assertEquals(call + ": ENOENT (No such file or directory)", e.getMessage());
        }
        // What the errno says is said whatever the call: a broken pipe is a SocketException on a pipe too.
        assertEquals(SocketException.class, Errors.exception("write(fd 5, fd 5)", Err.EPIPE).getClass());
    }
}
