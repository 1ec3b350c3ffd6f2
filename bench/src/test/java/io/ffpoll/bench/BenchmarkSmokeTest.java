package io.ffpoll.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CI's smoke profile of the JMH suite: every benchmark, with every parameter, runs one short
 * measured iteration in this JVM (no fork, no warm-up) and produces a positive score; the suite
 * lists the kinds the README describes; a second pass leaves no descriptor open. The figures themselves mean nothing here: the real runs are bench/jmh.
 */
class BenchmarkSmokeTest {
    private static final Set<String> KINDS = Set.of(
            "io.ffpoll.bench.InterestChurnBenchmark",
            "io.ffpoll.bench.PingPongBenchmark",
            "io.ffpoll.bench.UnixEchoBenchmark",
            "io.ffpoll.bench.WakeupLatencyBenchmark",
            "io.ffpoll.http.parse.HttpParseBenchmark",
            "io.ffpoll.bench.HttpEndToEndBenchmark",
            "io.ffpoll.bench.UdpBenchmark",
            "io.ffpoll.bench.ObserveCostBenchmark");

    @Test
    void everyBenchmarkRunsOneShortIterationAndReleasesItsDescriptors() throws Exception {
        Set<String> listed = BenchmarkList.defaultList().getAll(null, java.util.List.of()).stream()
                .map(BenchmarkListEntry::getUserClassQName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(KINDS), listed, "the suite's benchmark classes");

        // The first pass also starts what the JDK keeps for the process's life (the pollers that
        // virtual threads block on); descriptors are compared across the second.
        runSuiteAndCheckResults();
        Set<String> fdsBefore = openDescriptors();
        runSuiteAndCheckResults();
        Set<String> leaked = new TreeSet<>(openDescriptors());
        leaked.removeAll(fdsBefore);
        assertEquals(Set.of(), leaked, "descriptors the suite left open");
    }

    private static void runSuiteAndCheckResults() throws Exception {
        Options options = new OptionsBuilder()
                .include("io\\.ffpoll\\..*Benchmark\\..*")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .verbosity(VerboseMode.SILENT)
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        Set<String> ran = new TreeSet<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ran.add(name.substring(0, name.lastIndexOf('.')));
            double score = r.getPrimaryResult().getScore();
            assertTrue(score > 0 && Double.isFinite(score), name + " " + r.getParams() + " scored " + score);
        }
        assertEquals(new TreeSet<>(KINDS), ran, "the benchmark classes that ran");
        // 4 churn + 18 ping-pong (epoll, io_uring, java.nio) + 8 Unix echo + 4 wakeup + 4 parse + 3 end-to-end + 6 UDP
        // + 6 observe-cost parameter sets.
        assertEquals(53, results.size(), "runs, one per benchmark method and parameter set");
    }

    /** Each open descriptor with what it refers to; the listing's own descriptor is left out. */
    private static Set<String> openDescriptors() throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    out.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                } catch (IOException gone) {
                    // the listing's own descriptor, closed by now
                }
            }
        }
        return out;
    }
}
