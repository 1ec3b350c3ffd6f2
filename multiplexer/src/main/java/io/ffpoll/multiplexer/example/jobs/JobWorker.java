package io.ffpoll.multiplexer.example.jobs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A job worker process: connects to the {@link JobServer} on 127.0.0.1 at the port given as its
 * argument, says {@code HELLO pid}, then answers each {@code JOB id cost payload} line with
 * {@code DONE id result}, one job at a time, until the server closes the connection. Plain
 * blocking I/O: a worker has one connection and nothing else to do.
 */
public final class JobWorker {
    private JobWorker() {}

    /**
     * The work: {@code cost} thousand rounds of a 64-bit linear congruential step from
     * {@code payload}. Deterministic, so whoever asked can check the answer.
     *
     * @param cost the job's cost
     * @param payload its input
     * @return its result
     */
    public static long compute(int cost, long payload) {
        long h = payload;
        for (int i = 0; i < cost * 1000; i++) {
            h = h * 6364136223846793005L + 1442695040888963407L;
        }
        return h;
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setTcpNoDelay(true);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            out.write(("HELLO " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.split(" ");
                if (!w[0].equals("JOB") || w.length != 4) {
                    throw new IOException("not a job: " + line);
                }
                long result = compute(Integer.parseInt(w[2]), Long.parseLong(w[3]));
                out.write(("DONE " + w[1] + " " + result + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        }
    }
}
