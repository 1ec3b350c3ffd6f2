package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.Errno;
import io.ffpoll.bindings.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * kqueue and kevent linked from a library: the system's libc on macOS and FreeBSD, or
 * libkqueue on Linux (a userspace kqueue over epoll, for testing the backend here). Linked
 * when made, from the given library only: nothing is looked up until one is made.
 */
public final class NativeKevent implements KeventCalls {
    private static final FunctionDescriptor KQUEUE = FunctionDescriptor.of(ValueLayout.JAVA_INT);
    private static final FunctionDescriptor KEVENT = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final FunctionDescriptor CLOSE = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final Syscalls.Counter C_KQUEUE = Syscalls.counter("kqueue");
    private static final Syscalls.Counter C_KEVENT = Syscalls.counter("kevent");

    private static final java.util.concurrent.ConcurrentHashMap<Path, NativeKevent> LIBKQUEUES =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final KeventAbi abi;
    private final String name;
    private final boolean kernel; // the BSD kernel's kqueue, not libkqueue
    private final MethodHandle kqueue;
    private final MethodHandle kevent;
    private final MethodHandle close;

    private NativeKevent(KeventAbi abi, String name, SymbolLookup lookup, boolean kernel) {
        this.abi = abi;
        this.name = name;
        this.kernel = kernel;
        this.kqueue = Errno.link(find(lookup, "kqueue"), KQUEUE, true);
        // kevent blocks while it waits: not critical.
        this.kevent = Errno.link(find(lookup, "kevent"), KEVENT, false);
        this.close = Errno.link(find(Linker.nativeLinker().defaultLookup(), "close"), CLOSE, false);
    }

    private static MemorySegment find(SymbolLookup lookup, String symbol) {
        return lookup.find(symbol).orElseThrow(() -> new UnsatisfiedLinkError("no " + symbol + " in the kqueue library"));
    }

    /** The system's kqueue, on macOS or FreeBSD (12 or later). */
    public static NativeKevent system(KeventAbi abi) {
        return new NativeKevent(abi, "kqueue (libc)", Linker.nativeLinker().defaultLookup(), true);
    }

    /**
     * libkqueue's kqueue on Linux, loaded from {@code library} (its .so). The classic layout with
     * FreeBSD's filter numbers; closing an fd does not remove its registrations there. Loaded
     * and linked once per path.
     *
     * @throws IllegalArgumentException if the file is missing
     */
    public static NativeKevent libkqueue(Path library) {
        Path path = library.toAbsolutePath().normalize();
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("libkqueue not found at " + library);
        }
        return LIBKQUEUES.computeIfAbsent(path, p -> new NativeKevent(KeventAbi.LIBKQUEUE,
                "kqueue (libkqueue " + p + ")", SymbolLookup.libraryLookup(p, Arena.global()), false));
    }

    @Override
    public KeventAbi abi() {
        return abi;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean closeRemovesRegistrations() {
        return kernel;
    }

    @Override
    public boolean returnsChangeErrorsAtOnce() {
        return kernel;
    }

    @Override
    public int kqueue() {
        C_KQUEUE.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) kqueue.invokeExact(t.state);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public int kevent(int kq, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                      MemorySegment timeout, MemorySegment errnoState) {
        C_KEVENT.hit();
        MemorySegment state = errnoState != null ? errnoState : Errno.current().state;
        try {
            int r = (int) kevent.invokeExact(state, kq, changes, nchanges, events, nevents, timeout);
            return r >= 0 ? r : -Errno.errno(state);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public int close(int fd) {
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) close.invokeExact(t.state, fd);
            return r >= 0 ? r : -t.errno();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
