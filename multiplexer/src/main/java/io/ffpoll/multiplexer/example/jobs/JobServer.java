package io.ffpoll.multiplexer.example.jobs;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.net.AcceptOptions;
import io.ffpoll.multiplexer.net.ByteSearch;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.Tcp;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The server/worker job model of schedulers that run one process per core, on one
 * {@link EventLoop}: K worker JVMs ({@link JobWorker}) each hold one loopback TCP connection to
 * this server; jobs wait in a priority queue, cheapest first (then by id); each idle worker is
 * sent the next one. A result is delivered once, through {@link Observer#onResult}. When a
 * worker's connection closes with a job outstanding (the worker died), the job goes back in the
 * queue; when a worker process exits, another is started. Every queue and worker structure is
 * touched on the loop thread only, so none needs a lock.
 */
public final class JobServer implements AutoCloseable {
    /** A job: its id, its cost (the queue's order) and its input. */
    public record Job(long id, int cost, long payload) {}

    /** What the server reports, on its loop thread. */
    public interface Observer {
        /** A job's result, exactly once per job. */
        void onResult(Job job, long result);

        /** A job is sent to the worker with {@code pid}. */
        default void onDispatch(Job job, long pid) {}

        /** A job goes back in the queue: its worker {@code pid} went away without answering. */
        default void onRequeue(Job job, long pid) {}

        /** A worker process started ({@code replacement}: in place of one that exited). */
        default void onWorkerStarted(long pid, boolean replacement) {}
    }

    private static final Logger LOG = LoggerFactory.getLogger(JobServer.class);
    private static final Comparator<Job> CHEAPEST_FIRST = Comparator.comparingInt(Job::cost).thenComparingLong(Job::id);

    private final EventLoop loop;
    private final Listener listener;
    private final List<String> workerCommand;
    private final Observer observer;
    private final PriorityQueue<Job> queue = new PriorityQueue<>(CHEAPEST_FIRST);
    private final ArrayDeque<Link> idle = new ArrayDeque<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private volatile boolean closing;

    private JobServer(List<String> workerJvm, Observer observer) throws IOException {
        this.observer = observer;
        this.loop = EventLoop.start("jobs");
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        // The loop was just started: it takes the listener (join cannot fail with a closed loop).
        this.listener = Listener.start(loop, Tcp.listen(loopback, 128, false), AcceptOptions.DEFAULTS.noDelay(true),
                (fd, peer) -> Connection.open(loop, fd, peer, new Link())).join();
        List<String> command = new ArrayList<>(workerJvm);
        command.add(JobWorker.class.getName());
        command.add(Integer.toString(Tcp.localAddress(listener.fd()).getPort()));
        this.workerCommand = List.copyOf(command);
    }

    /**
     * Starts the server and {@code workers} worker processes.
     *
     * @param workers how many worker processes
     * @param workerJvm the command that starts a JVM with this example on its class path, up to
     *                  the main class (e.g. {@code java -cp CLASSPATH})
     * @param observer gets the results and the events
     * @return the server
     * @throws IOException if the listener or a worker cannot start
     */
    public static JobServer start(int workers, List<String> workerJvm, Observer observer) throws IOException {
        JobServer s = new JobServer(workerJvm, observer);
        for (int i = 0; i < workers; i++) {
            s.startWorker(false);
        }
        return s;
    }

    /**
     * Queues jobs (from any thread); they leave cheapest first as workers become idle.
     *
     * @param jobs the jobs
     */
    public void submitAll(Collection<Job> jobs) {
        List<Job> copy = List.copyOf(jobs);
        loop.execute(() -> {
            queue.addAll(copy);
            dispatch();
        });
    }

    /** {@return the pids of the worker processes running now} */
    public List<Long> workerPids() {
        return processes.stream().filter(Process::isAlive).map(Process::pid).toList();
    }

    private void startWorker(boolean replacement) throws IOException {
        Process p = new ProcessBuilder(workerCommand).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(p);
        loop.execute(() -> observer.onWorkerStarted(p.pid(), replacement));
        p.onExit().thenRun(() -> {
            processes.remove(p);
            if (!closing) {
                try {
                    startWorker(true);
                } catch (IOException e) {
                    LOG.error("cannot start a job worker in place of pid {}: {}", p.pid(), e.getMessage());
                }
            }
        });
    }

    private void dispatch() {
        while (!idle.isEmpty() && !queue.isEmpty()) {
            Link l = idle.poll();
            Job job = queue.poll();
            l.outstanding = job;
            observer.onDispatch(job, l.pid);
            l.connection.write(("JOB " + job.id() + " " + job.cost() + " " + job.payload() + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** One worker's connection: its pid once it said HELLO, and the job it is working on. */
    private final class Link implements ConnectionHandler {
        private final ByteSearch.Finder lines = ByteSearch.finder((byte) '\n');
        Connection connection;
        long pid = -1;
        Job outstanding;

        @Override
        public void onOpen(Connection c) {
            connection = c;
        }

        @Override
        public long onData(Connection c, MemorySegment data) {
            long used = 0;
            long eol;
            while ((eol = lines.find(data, used)) >= 0) {
                String line = new String(data.asSlice(used, eol - used).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
                used = eol + 1;
                String[] w = line.split(" ");
                if (w[0].equals("HELLO") && pid < 0) {
                    pid = Long.parseLong(w[1]);
                } else if (w[0].equals("DONE") && outstanding != null && Long.parseLong(w[1]) == outstanding.id()) {
                    Job done = outstanding;
                    outstanding = null;
                    observer.onResult(done, Long.parseLong(w[2]));
                } else {
                    c.close(); // a confused worker: whatever it held goes back in the queue
                    return data.byteSize();
                }
                idle.add(this);
            }
            dispatch();
            return used;
        }

        @Override
        public void onClosed(Connection c, IOException cause) {
            idle.remove(this);
            if (outstanding != null) {
                Job lost = outstanding;
                outstanding = null;
                queue.add(lost);
                observer.onRequeue(lost, pid);
                dispatch();
            }
        }
    }

    /** Stops the workers (SIGTERM; they also exit when their connection closes), then the loop. */
    @Override
    public void close() throws IOException {
        closing = true;
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        listener.closeAsync(); // done by the time the loop has closed
        loop.close();
    }
}
