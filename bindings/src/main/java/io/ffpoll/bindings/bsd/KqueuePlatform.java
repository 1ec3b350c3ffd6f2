package io.ffpoll.bindings.bsd;

/**
 * A {@link io.ffpoll.bindings.platform.Platform} whose descriptors live in a kernel of its own,
 * which brings that kernel's kqueue with it: a kqueue from anywhere else would not know its
 * descriptors. {@code Poller.open()} uses these calls when the current platform is one. The
 * tests' NetBSD rump kernel is one (a BSD kernel in this process, with its own descriptor table).
 */
public interface KqueuePlatform {
    /** kqueue and kevent of this platform's kernel. */
    KeventCalls keventCalls();
}
