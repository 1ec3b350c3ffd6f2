package io.ffpoll.http.parse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Parsing one request head: http-lite's parser (head scan, field rules, routing-ready offsets;
 * in the parser's package, which the module does not export: the bench runs on the class path)
 * against Netty's {@code HttpRequestDecoder} (through an EmbeddedChannel, its messages
 * released), for the plaintext benchmark's request and a typical browser request. Both get the bytes in one piece and produce a request with its headers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// Five warm-up seconds: C2 settles on the scanner's loops after about three; two forks, because
// on this shared VM one fork's figures can sit apart from another's.
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class HttpParseBenchmark {
    static final String PLAINTEXT = "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: text/plain,text/html;q=0.9,"
            + "application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\nConnection: keep-alive\r\n\r\n";
    static final String BROWSER = "GET /articles/2026/12/event-loops?ref=home&lang=en HTTP/1.1\r\n"
            + "Host: www.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Referer: https://www.example.com/\r\n"
            + "Connection: keep-alive\r\n"
            + "Cookie: session=7f3a9c2e41b84d0fa1c2d3e4f5a6b7c8; theme=dark; consent=1\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "Sec-Fetch-Dest: document\r\n"
            + "Sec-Fetch-Mode: navigate\r\n"
            + "Sec-Fetch-Site: same-origin\r\n"
            + "Priority: u=0, i\r\n\r\n";

    @Param({"plaintext", "browser"})
    public String request;

    private RequestParser parser;
    private ParseState<Object> state;
    private MemorySegment bytes;
    private EmbeddedChannel netty;
    private ByteBuf nettyBytes;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] raw = (request.equals("plaintext") ? PLAINTEXT : BROWSER).getBytes(StandardCharsets.ISO_8859_1);
        parser = new RequestParser(8192, 16384, 1 << 20);
        state = new ParseState<>();
        bytes = java.lang.foreign.Arena.ofAuto().allocate(raw.length);
        MemorySegment.copy(raw, 0, bytes, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, raw.length);
        netty = new EmbeddedChannel(new HttpRequestDecoder());
        nettyBytes = Unpooled.directBuffer(raw.length).writeBytes(raw);
    }

    @Benchmark
    public long ffpoll() {
        parser.beginDelivery();
        long n = parser.parse(bytes, 0, bytes.byteSize(), state);
        state.reset();
        return n + parser.head.headerCount;
    }

    @Benchmark
    public int netty() {
        netty.writeInbound(nettyBytes.retainedDuplicate());
        int messages = 0;
        Object m;
        while ((m = netty.readInbound()) != null) {
            messages++;
            ReferenceCountUtil.release(m);
        }
        return messages;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        netty.finishAndReleaseAll();
        nettyBytes.release();
    }
}
