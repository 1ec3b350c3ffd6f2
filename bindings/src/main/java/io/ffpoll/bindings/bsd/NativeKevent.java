package io.ffpoll.bindings.bsd;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.internal.Bounds;

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

    /** The system property that names libkqueue's shared library on Linux. */
    public static final String LIBKQUEUE_PROPERTY = "ffpoll.libkqueue";
    /** The name the dynamic linker knows libkqueue by, where a distribution packages it. */
    private static final String LIBKQUEUE_SONAME = "libkqueue.so.0";

    private static final java.util.concurrent.ConcurrentHashMap<String, NativeKevent> LIBKQUEUES =
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
     * libkqueue's kqueue on Linux: the library named by the system property
     * {@value #LIBKQUEUE_PROPERTY} where it is set, else {@code libkqueue.so.0} wherever the
     * dynamic linker finds it (some distributions package it). The classic layout with
     * FreeBSD's filter numbers; closing an fd does not remove its registrations there. Loaded
     * and linked once per library.
     *
     * @throws IllegalStateException if the property names no file, or it is unset and the
     *         dynamic linker finds no libkqueue; the message says which
     */
    public static NativeKevent libkqueue() {
        String property = System.getProperty(LIBKQUEUE_PROPERTY, "");
        if (!property.isEmpty()) {
            Path path = Path.of(property).toAbsolutePath().normalize();
            if (!Files.isRegularFile(path)) {
                throw new IllegalStateException("libkqueue not found at -D" + LIBKQUEUE_PROPERTY + "=" + property);
            }
            return LIBKQUEUES.computeIfAbsent(path.toString(), p -> new NativeKevent(KeventAbi.LIBKQUEUE,
                    "kqueue (libkqueue " + p + ")", SymbolLookup.libraryLookup(path, Arena.global()), false));
        }
        NativeKevent known = LIBKQUEUES.get(LIBKQUEUE_SONAME);
        if (known != null) {
            return known;
        }
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(LIBKQUEUE_SONAME, Arena.global());
        } catch (IllegalArgumentException notFound) {
            throw new IllegalStateException("libkqueue not found: -D" + LIBKQUEUE_PROPERTY
                    + "=/path/to/libkqueue.so.0 is unset and the dynamic linker finds no " + LIBKQUEUE_SONAME);
        }
        return LIBKQUEUES.computeIfAbsent(LIBKQUEUE_SONAME, n -> new NativeKevent(KeventAbi.LIBKQUEUE,
                "kqueue (libkqueue " + n + ")", lookup, false));
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
        checkLists(abi, changes, nchanges, events, nevents, timeout);
        C_KEVENT.hit();
        MemorySegment state = errnoState != null ? errnoState : Errno.current().state;
        try {
            int r = (int) kevent.invokeExact(state, kq, changes, nchanges, events, nevents, timeout);
            return r >= 0 ? r : -Errno.errno(state);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * kevent reads {@code nchanges} and writes up to {@code nevents} structs at the lists'
     * addresses, whatever their sizes: both counts must fit their segments, and a timeout must
     * hold a {@code struct timespec} (16 bytes on every 64-bit target).
     */
    static void checkLists(KeventAbi abi, MemorySegment changes, int nchanges, MemorySegment events, int nevents,
                           MemorySegment timeout) {
        Bounds.array("kevent", "nchanges", nchanges, abi.size, "changelist", changes);
        Bounds.array("kevent", "nevents", nevents, abi.size, "eventlist", events);
        if (timeout.address() != 0) {
            Bounds.struct("kevent", "struct timespec", 16, "timeout", timeout);
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
