package io.ffpoll.multiplexer.example;

import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.multiplexer.net.FdPassingChannel;
import io.ffpoll.multiplexer.net.ReceivedFds;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The descriptor-passing example of the README: a descriptor goes through a socketpair with a
 * message, and the copy that comes out is a working descriptor of the same open file.
 */
public final class PassDescriptor {
    private PassDescriptor() {}

    /**
     * Sends {@code fd} from one end of a socketpair to the other and returns what arrived: a new
     * descriptor (close-on-exec) for the same open file, which the caller then owns.
     *
     * @param fd any open descriptor
     * @return the received copy
     * @throws IOException if the socketpair cannot be made or the descriptor not passed
     */
    public static int handOver(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocateFrom(ValueLayout.JAVA_BYTE, "pipe".getBytes(StandardCharsets.US_ASCII));
            MemorySegment buffer = arena.allocate(64);
            // README:begin fd-passing
            FdPassingChannel[] ends = FdPassingChannel.pair(4); // socketpair(AF_UNIX, SOCK_STREAM), up to 4 fds a message
            try (FdPassingChannel sender = ends[0]; FdPassingChannel receiver = ends[1]) {
                sender.send(bytes, fd);                   // bytes and descriptor in one message; 0 would mean EAGAIN
                ReceivedFds fds = new ReceivedFds();      // made once, reused by every receive
                long n = receiver.receive(buffer, fds);   // n bytes (0: nothing there yet, -1: end of stream)
                int received = fds.fd(0);                 // close-on-exec, and the caller's to close
                fds.clear();                              // taken (fds.closeAll() would close them)
                return received;
            }
            // README:end
        }
    }

    /**
     * Passes a pipe's read end, writes into the pipe, and reads it back through the copy.
     *
     * @param args unused
     * @throws IOException if a call fails
     */
    public static void main(String[] args) throws IOException {
        Platform os = Platform.current();
        int[] pipe = new int[2];
        if (Processes.pipe(pipe) != 0) {
            throw new IOException("pipe failed");
        }
        int copy = handOver(pipe[0]);
        os.close(pipe[0]); // the copy keeps the pipe open by itself
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocateFrom(ValueLayout.JAVA_BYTE, "hello".getBytes(StandardCharsets.US_ASCII));
            os.write(pipe[1], text, 5);
            MemorySegment in = arena.allocate(16);
            long n = os.read(copy, in, 16);
            System.out.println("fd " + pipe[0] + " arrived as fd " + copy + ", which reads: "
                    + new String(in.asSlice(0, Math.max(0, n)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        } finally {
            os.close(copy);
            os.close(pipe[1]);
        }
    }
}
