package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.EventLoopGroup;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Multicast membership and options set and read back, IPV6_V6ONLY at bind, a reuseport group of endpoints. */
class DatagramSocketOptionsTest extends DatagramTestBase {

    private static NetworkInterface loopbackInterface() throws Exception {
        return NetworkInterface.getByInetAddress(V4);
    }

    /** The kernel's own list of this host's memberships (Linux); empty where there is none. */
    private static String memberships(String file) throws IOException {
        Path p = Path.of("/proc/net/" + file);
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /** Runs {@code body} on the loop and gives back what it threw, or null. */
    private Throwable onLoopFailure(LoopBody body) throws Exception {
        try {
            onLoop(() -> {
                body.run();
                return null;
            });
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    interface LoopBody {
        void run() throws Exception;
    }

    private void joinsAndLeaves(InetAddress bindTo, InetAddress group, String procFile, String procGroup) throws Exception {
        DatagramEndpoint e = bind(new InetSocketAddress(bindTo, 0), DatagramOptions.DEFAULTS, ECHO);
        DatagramSocketOptions o = e.socketOptions();
        NetworkInterface lo = loopbackInterface();
        Throwable joined = onLoopFailure(() -> o.joinGroup(group, lo));
        if (joined != null) {
            // A sandbox without multicast on loopback: the refusal must be a clear one, naming the call and errno.
            assertInstanceOf(IOException.class, joined);
            assertTrue(joined.getMessage().matches(".*setsockopt\\(IPV?6?_(ADD_MEMBERSHIP|JOIN_GROUP).*: E[A-Z]+ .*"),
                    joined.getMessage());
            close(e);
            return;
        }
        if (!memberships(procFile).isEmpty()) {
            assertTrue(memberships(procFile).toLowerCase().contains(procGroup), "the kernel lists " + group + " on lo");
        }
        Throwable twice = onLoopFailure(() -> o.joinGroup(group, lo));
        assertTrue(twice != null && twice.getMessage().contains("EADDRINUSE"), "joined already: " + twice);
        assertEquals(null, onLoopFailure(() -> o.leaveGroup(group, lo)));
        if (!memberships(procFile).isEmpty()) {
            assertFalse(memberships(procFile).toLowerCase().contains(procGroup), "left: the kernel lists it no more");
        }
        Throwable notMember = onLoopFailure(() -> o.leaveGroup(group, lo));
        assertTrue(notMember != null && notMember.getMessage().contains("EADDRNOTAVAIL"), "not a member: " + notMember);
        assertInstanceOf(IllegalArgumentException.class, onLoopFailure(() -> o.joinGroup(bindTo, lo)),
                "not a multicast address");
        close(e);
    }

    @Test
    void joinsAndLeavesAnIpv4GroupOnLoopback() throws Exception {
        // /proc/net/igmp prints the group as the 32-bit value in host order: 239.255.42.99 on x86 is 632AFFEF.
        joinsAndLeaves(V4, InetAddress.getByName("239.255.42.99"), "igmp",
                java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? "632affef" : "efff2a63");
    }

    @Test
    void joinsAndLeavesAnIpv6GroupOnLoopback() throws Exception {
        joinsAndLeaves(InetAddress.getByName("::1"), InetAddress.getByName("ff15::4242"), "igmp6",
                "ff150000000000000000000000004242");
    }

    @Test
    void multicastLoopAndHopsAreSetAndReadBack() throws Exception {
        for (InetAddress host : new InetAddress[] {V4, InetAddress.getByName("::1")}) {
            DatagramEndpoint e = bind(new InetSocketAddress(host, 0), DatagramOptions.DEFAULTS, ECHO);
            DatagramSocketOptions o = e.socketOptions();
            assertEquals(null, onLoopFailure(() -> {
                assertTrue(o.multicastLoop(), "on by default");
                o.setMulticastLoop(false);
                assertFalse(o.multicastLoop());
                assertEquals(1, o.multicastHops(), "1 by default");
                o.setMulticastHops(7);
                assertEquals(7, o.multicastHops());
                o.setBroadcast(true);
            }));
            assertThrows(WrongThreadException.class, o::multicastLoop, "loop thread only");
            close(e);
            assertInstanceOf(ClosedConnectionException.class, onLoopFailure(o::multicastHops));
        }
    }

    @Test
    void v6OnlyIsSetAtBindAndReadBack() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        DatagramEndpoint only = bind(new InetSocketAddress(v6, 0), DatagramOptions.DEFAULTS.v6Only(true), ECHO);
        assertTrue(onLoop(() -> only.socketOptions().v6Only()));
        close(only);
        // Off before bind; but a socket bound to one IPv6 address (not ::, not IPv4-mapped) can
        // take no IPv4 peer, and Linux sets the option itself at bind (inet6_bind). Only the
        // wildcard keeps it off, and tests bind loopback only.
        DatagramEndpoint mapped = bind(new InetSocketAddress(v6, 0), DatagramOptions.DEFAULTS.v6Only(false), ECHO);
        assertEquals(io.ffpoll.bindings.platform.Platform.current().name().equals("linux"),
                onLoop(() -> mapped.socketOptions().v6Only()));
        close(mapped);
        DatagramEndpoint v4 = bind(new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS.v6Only(true), ECHO);
        assertInstanceOf(IllegalStateException.class, onLoopFailure(() -> v4.socketOptions().v6Only()),
                "an IPv4 socket has no IPV6_V6ONLY");
        close(v4);
    }

    @Test
    void aGroupBindsOneEndpointPerLoopOnOnePortAndRefusesATakenPort() throws Exception {
        try (EventLoopGroup loops = EventLoopGroup.start("udp-group", 2)) {
            Set<String> servedBy = ConcurrentHashMap.newKeySet();
            DatagramGroup group = DatagramGroup.bind(loops, new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS,
                    loop -> (endpoint, payload, sender) -> {
                        servedBy.add(EventLoop.current().name());
                        endpoint.send(payload, sender);
                    }).get(30, TimeUnit.SECONDS);
            assertEquals(2, group.endpoints().size());
            Set<EventLoop> onLoops = new HashSet<>();
            for (DatagramEndpoint e : group.endpoints()) {
                assertEquals(group.address(), e.localAddress(), "one port for all");
                onLoops.add(e.loop());
            }
            assertEquals(2, onLoops.size(), "one endpoint per loop");
            for (int i = 0; i < 40; i++) { // 40 peers: 40 flows, spread by the kernel's hash
                DatagramSocket client = peer(V4);
                send(client, pattern(16, i), group.address());
                assertArrayEquals(pattern(16, i), receive(client, 32));
            }
            assertFalse(servedBy.isEmpty());
            ExecutionException taken = assertThrows(ExecutionException.class,
                    () -> DatagramGroup.bind(loops, group.address(), DatagramOptions.DEFAULTS, l -> ECHO)
                            .get(30, TimeUnit.SECONDS));
            assertInstanceOf(BindException.class, taken.getCause(), "a port in use is refused, not joined");
            group.close();
        }
    }
}
