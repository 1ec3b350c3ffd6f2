package io.ffpoll.http.observe;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * While the writer is stuck, what waits for it is bounded in bytes as well as in records: long
 * request lines from a hostile client are dropped once the bytes waiting reach the bound.
 */
class AccessLogWriterBoundTest {
    private static RequestRecord record(int targetBytes) {
        byte[] line = new byte[3 + targetBytes];
        System.arraycopy("GET".getBytes(StandardCharsets.US_ASCII), 0, line, 0, 3);
        Arrays.fill(line, 3, line.length, (byte) 'a');
        line[3] = '/';
        RequestRecord r = new RequestRecord(line, 3, true, new InetSocketAddress(InetAddress.getLoopbackAddress(), 1), null, null);
        r.end(200, 0);
        return r;
    }

    @Test
    void recordsPastTheByteBoundAreDroppedWhileTheWriterIsStuck() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                written.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                written.write(b, off, len);
            }
        };
        // Room for 1,000 records, but only 10,000 bytes of request lines.
        AccessLogWriter log = new AccessLogWriter(stuck, false, false, 1000, 10_000, "test");
        log.offer(record(997)); // 1,000 bytes: the writer takes it and sticks in write()
        assertTrue(writing.await(60, TimeUnit.SECONDS));
        for (int i = 0; i < 30; i++) {
            log.offer(record(997));
        }
        assertEquals(20, log.dropped(), "10 records of 1,000 bytes wait; the 20 after them are dropped");
        release.countDown();
        log.closeAsync().get(60, TimeUnit.SECONDS);
        assertEquals(11, written.toString(StandardCharsets.UTF_8).lines().count());
    }
}
