package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.internal.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A NetBSD rump kernel in this process: NetBSD's own kernel code (kern_event.c, sockets, the
 * TCP/IP stack over its lo0) built as shared libraries by the user, from the folder named by
 * {@code -Dffpoll.rump}. Loaded once, on first use.
 *
 * <p>The component libraries carry no DT_NEEDED entries: each one expects the symbols of those
 * under it to be there already. So they are dlopen'ed one by one, RTLD_GLOBAL, bottom up
 * ({@link #COMPONENTS}); a JDK {@code SymbolLookup.libraryLookup} opens RTLD_LOCAL and cannot
 * load them. Then {@code rump_init()} boots the kernel, and its system calls are found by
 * name ({@code rump___sysimpl_kevent50} ...). They return -1 and set the host thread's errno
 * to the NetBSD number, so the usual errno capture works with BSD numbers.
 */
public final class RumpKernel {
    /** The system property naming the folder of the rump kernel's libraries. */
    public static final String PROPERTY = "ffpoll.rump";

    /**
     * Bottom up: the hypercall layer, the base kernel, then what sockets on lo0 need (vfs for
     * descriptors of files, net, its interfaces, inet, and local for the socketpair of the
     * wakeup). Optional ones are skipped where the build has none.
     */
    static final List<String> COMPONENTS = List.of("librumpuser", "librump", "librumpvfs", "librumpnet",
            "librumpnet_net", "librumpnet_netinet", "librumpnet_netinet6", "librumpnet_local");
    private static final List<String> REQUIRED = List.of("librumpuser", "librump", "librumpnet",
            "librumpnet_net", "librumpnet_netinet", "librumpnet_local");

    private static final int RTLD_LAZY = 0x1;
    private static final int RTLD_GLOBAL = 0x100;
    private static final Linker LINKER = Linker.nativeLinker();

    private static RumpKernel kernel;

    private final Path dir;
    private final List<String> loaded;
    private final MethodHandle dlsym;

    private RumpKernel(Path dir, List<String> loaded, MethodHandle dlsym) {
        this.dir = dir;
        this.loaded = loaded;
        this.dlsym = dlsym;
    }

    /** Whether {@code -Dffpoll.rump} is set. */
    public static boolean requested() {
        return !System.getProperty(PROPERTY, "").isEmpty();
    }

    /**
     * The kernel, booted on first call.
     *
     * @throws IllegalStateException if the property is unset, or the folder lacks a library, or
     *     a library does not load, or rump_init fails: the message says which
     */
    public static synchronized RumpKernel get() {
        if (kernel == null) {
            kernel = boot();
        }
        return kernel;
    }

    private static RumpKernel boot() {
        String property = System.getProperty(PROPERTY, "");
        if (property.isEmpty()) {
            throw new IllegalStateException("-D" + PROPERTY + "=/path/to/rump/lib is unset");
        }
        Path dir = Path.of(property).toAbsolutePath().normalize();
        MemorySegment dlopenAddress = LINKER.defaultLookup().find("dlopen").orElseThrow();
        MethodHandle dlopen = LINKER.downcallHandle(dlopenAddress,
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle dlerror = LINKER.downcallHandle(LINKER.defaultLookup().find("dlerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_BYTE)));
        MethodHandle dlsym = LINKER.downcallHandle(LINKER.defaultLookup().find("dlsym").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        List<String> loaded = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (String name : COMPONENTS) {
                Path lib = dir.resolve(name + ".so");
                if (!Files.exists(lib)) {
                    if (REQUIRED.contains(name)) {
                        throw new IllegalStateException("no " + lib + " (-D" + PROPERTY + "=" + property + ")");
                    }
                    continue;
                }
                MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(lib.toString()),
                        RTLD_LAZY | RTLD_GLOBAL);
                if (handle.address() == 0) {
                    MemorySegment why = (MemorySegment) dlerror.invokeExact();
                    throw new IllegalStateException("dlopen(" + lib + "): "
                            + (why.address() == 0 ? "?" : why.reinterpret(4096).getString(0)));
                }
                loaded.add(name);
            }
            RumpKernel k = new RumpKernel(dir, List.copyOf(loaded), dlsym);
            MethodHandle init = LINKER.downcallHandle(k.symbol("rump_init"), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            int r = (int) init.invokeExact();
            if (r != 0) {
                throw new IllegalStateException("rump_init() = " + r + " (from " + dir + ")");
            }
            return k;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** The address of a global symbol of the loaded libraries. */
    MemorySegment symbol(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = (MemorySegment) dlsym.invokeExact(MemorySegment.NULL, arena.allocateFrom(name));
            if (address.address() == 0) {
                throw new UnsatisfiedLinkError("no " + name + " in the rump kernel at " + dir);
            }
            return address;
        } catch (UnsatisfiedLinkError e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * kern.sbmax, by the function its sysctl handler calls ({@code sb_max_set}, which also
     * derives the limit sbreserve checks): this rump kernel has no such sysctl node.
     */
    void setSbMax(long bytes) {
        MethodHandle set = LINKER.downcallHandle(symbol("rumpns_sb_max_set"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        try {
            int r = (int) set.invokeExact(bytes);
            if (r != 0) {
                throw new IllegalStateException("sb_max_set(" + bytes + ") = " + r);
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A system call of the kernel, {@code rump___sysimpl_<name>}, linked with errno capture (a
     * call may block: none is critical).
     */
    MethodHandle syscall(String name, FunctionDescriptor descriptor) {
        return Errno.link(symbol("rump___sysimpl_" + name), descriptor, false);
    }

    /** The folder and the components loaded, for messages. */
    @Override
    public String toString() {
        return "NetBSD rump kernel " + loaded + " from " + dir;
    }
}
