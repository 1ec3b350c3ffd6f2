package io.ffpoll.multiplexer.uring;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The received buffers each socket holds until its reader takes them, in the order they came:
 * the one being read, from an offset, and those behind it (a multishot receive posts one per
 * arrival). The queues are linked through the buffer ids, which are each in one place at a
 * time. Loop thread only.
 */
final class Stashes {
    static final int NONE = -1;

    private final int[] behind; // by buffer: the next one stashed for the same socket, or NONE
    private final int[] length; // by buffer: the bytes received into it
    private int[] head = new int[0];  // by fd: the buffer being read, or NONE
    private int[] tail = new int[0];  // by fd: the last buffer stashed, or NONE
    private int[] from = new int[0];  // by fd: how far the head buffer has been read
    private int[] count = new int[0]; // by fd: buffers stashed

    Stashes(int buffers) {
        behind = new int[buffers];
        length = new int[buffers];
    }

    void ensure(int n) {
        if (n > head.length) {
            int old = head.length;
            head = Arrays.copyOf(head, n);
            tail = Arrays.copyOf(tail, n);
            from = Arrays.copyOf(from, n);
            count = Arrays.copyOf(count, n);
            Arrays.fill(head, old, n, NONE);
            Arrays.fill(tail, old, n, NONE);
        }
    }

    /** The buffer {@code fd}'s reader reads now, or NONE. */
    int head(int fd) {
        return head[fd];
    }

    /** Where the unread bytes of the head buffer start. */
    int from(int fd) {
        return from[fd];
    }

    /** Where they end: the bytes the head buffer received. */
    int to(int fd) {
        return length[head[fd]];
    }

    int count(int fd) {
        return count[fd];
    }

    /** {@code n} more bytes of the head buffer were read, not all of them. */
    void read(int fd, int n) {
        from[fd] += n;
    }

    /** Stashes buffer {@code b}, which received {@code n} bytes for {@code fd}, behind what it holds. */
    void add(int fd, int b, int n) {
        behind[b] = NONE;
        length[b] = n;
        if (head[fd] == NONE) {
            head[fd] = b;
            from[fd] = 0;
        } else {
            behind[tail[fd]] = b;
        }
        tail[fd] = b;
        count[fd]++;
    }

    /** The head buffer is read (or lent): the next one is read from now on; whether there is one. */
    boolean next(int fd) {
        int b = behind[head[fd]];
        head[fd] = b;
        from[fd] = 0;
        count[fd]--;
        if (b == NONE) {
            tail[fd] = NONE;
            return false;
        }
        return true;
    }

    /** Empties {@code fd}'s stash, each buffer to {@code giveBack}. */
    void clear(int fd, IntConsumer giveBack) {
        for (int b = head[fd]; b != NONE; b = behind[b]) {
            giveBack.accept(b);
        }
        head[fd] = NONE;
        tail[fd] = NONE;
        count[fd] = 0;
    }
}
