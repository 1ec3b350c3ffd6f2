package io.ffpoll.http.files;

import io.ffpoll.http.HttpHandler;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.serve.Compression;
import io.ffpoll.http.serve.ServerBound;
import io.ffpoll.multiplexer.net.OpenDirectory;
import io.ffpoll.multiplexer.net.OpenFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serves a directory's files under a path prefix (GET and HEAD): the body by sendfile(2) from
 * the page cache ({@code Connection.sendFile}), Content-Type by extension, a strong ETag and
 * Last-Modified with their preconditions (304, 412), and one byte range (206, 416) with
 * If-Range; see {@link FileValidators}.
 *
 * <p>Never outside the directory: the path is percent-decoded strictly (a malformed escape,
 * an encoded NUL or a byte sequence that is not UTF-8 is 400), a {@code .} or {@code ..}
 * segment or a backslash is 400 however it was encoded, and the file is opened beneath the
 * directory ({@link OpenDirectory}: the kernel refuses a way out on Linux 5.6+, else the real
 * path must lie under the directory's): a symbolic link that leaves it is 404. Directories are
 * not listed: {@code index.html} is served for one when present, else 404; a directory asked
 * for without its trailing slash is redirected (301) to it.
 */
public final class StaticFiles implements HttpHandler, ServerBound {
    private static final HttpAccess HTTP = HttpAccess.get();
    private static final Logger LOG = LoggerFactory.getLogger(StaticFiles.class);
    private static final Response BAD_REQUEST = Response.text(400, "Bad Request\n");
    private static final Response NOT_FOUND = Response.text(404, "Not Found\n");
    private static final Response FORBIDDEN = Response.text(403, "Forbidden\n");

    private final String prefix; // ends with '/'
    private final Path directory;
    private final ContentTypes types;
    private volatile Compression compression; // the server's, set as it starts; null: off
    private volatile OpenDirectory root; // opened on the first request, closed with the server
    private boolean stopped;
    private final GzipCache gzipCache = new GzipCache();

    public StaticFiles(String prefix, Path directory, Map<String, String> contentTypes) throws IOException {
        if (prefix.indexOf('*') >= 0 || prefix.indexOf('{') >= 0) {
            throw new IllegalArgumentException("a files prefix is a plain path (/static), not a pattern: " + prefix);
        }
        this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
        this.directory = directory.toRealPath();
        if (!Files.isDirectory(this.directory)) {
            throw new java.nio.file.NotDirectoryException(directory.toString());
        }
        this.types = new ContentTypes(contentTypes);
    }

    /** The route's path for {@code prefix}: everything under it. */
    public static String routePath(String prefix) {
        return (prefix.endsWith("/") ? prefix : prefix + "/") + "*";
    }

    private OpenDirectory root() throws IOException {
        OpenDirectory open = root;
        return open != null ? open : opening(); // every request but the first reads a volatile, no lock
    }

    private synchronized OpenDirectory opening() throws IOException {
        if (stopped) {
            throw new IOException("the server has stopped: " + directory + " is closed");
        }
        if (root == null) {
            root = OpenDirectory.open(directory);
        }
        return root;
    }

    @Override
    public void compression(Compression compression) {
        this.compression = compression;
    }

    /** The server stopped: the directory's descriptor is closed, and no request opens it again. */
    @Override
    public synchronized void close() {
        stopped = true;
        if (root != null) {
            root.close();
            root = null;
        }
    }

    @Override
    public Response handle(Request r) throws IOException {
        String path = r.path();
        if (path.length() < prefix.length()) {
            return redirect(r, prefix); // the prefix without its slash
        }
        String relative = decode(path.substring(prefix.length()));
        if (relative == null) {
            return BAD_REQUEST;
        }
        OpenDirectory dir = root();
        OpenFile f;
        String name = relative;
        try {
            f = open(dir, relative);
            if (f == null) {
                return NOT_FOUND;
            }
            if (f.isDirectory()) {
                f.close();
                if (!path.endsWith("/")) {
                    return redirect(r, path + "/");
                }
                name = relative + "index.html";
                f = open(dir, name); // no listing: index.html or nothing
                if (f == null) {
                    return NOT_FOUND;
                }
            }
        } catch (AccessDeniedException denied) {
            return FORBIDDEN;
        }
        if (!f.isRegularFile()) {
            f.close();
            return NOT_FOUND; // a device, a pipe, a socket; or an index.html that is none of those either
        }
        try {
            return respond(r, f, types.of(name.substring(name.lastIndexOf('/') + 1)));
        } catch (Throwable t) {
            f.close();
            throw t;
        }
    }

    /**
     * The file beneath the root, or null if it is not there or lies outside (by '..' or a
     * link). Another failure (EMFILE, EIO) is the server's, not the client's: it propagates,
     * and the client gets a 500, never a 404 a cache would keep.
     */
    private static OpenFile open(OpenDirectory dir, String relative) throws IOException {
        try {
            return dir.openFile(relative);
        } catch (java.nio.file.NoSuchFileException missingOrOutside) {
            LOG.debug("{}: {}", relative, missingOrOutside.getMessage());
            return null;
        }
    }

    private Response respond(Request r, OpenFile f, String type) throws IOException {
        Compression k = compression;
        long size = f.size();
        boolean varies = k != null && k.wants(type, false, size);
        // Range is GET's alone (RFC 9110 14.2), and no list: two lines of it are invalid, ignored.
        String range = HTTP.head(r).methodIs(GET) && r.headerLines("Range") == 1 ? r.header("Range") : null;
        // gzip for a GET or HEAD that takes it (HEAD's length and tag are GET's, RFC 9110 9.3.2);
        // a range gets the identity bytes (Vary either way).
        boolean gzip = varies && range == null && Compression.accepts(r);
        long modified = f.lastModified().getEpochSecond();
        String identityTag = FileValidators.etag(f);
        // The gzip bytes are another representation: another strong tag (RFC 9110 8.8.3).
        String etag = gzip ? identityTag.substring(0, identityTag.length() - 1) + "-gzip\"" : identityTag;
        String lastModified = FileValidators.httpDate(modified);
        int precondition = FileValidators.preconditions(r, etag, modified);
        if (precondition != FileValidators.PROCEED) {
            f.close();
            Response answer = precondition == 304 ? Response.of(304, null, new byte[0])
                    : Response.text(412, "Precondition Failed\n");
            answer = answer.withHeader("ETag", etag).withHeader("Last-Modified", lastModified);
            return varies ? answer.withHeader("Vary", "Accept-Encoding") : answer;
        }
        long first = 0;
        long count = size;
        String contentRange = null;
        if (range != null) {
            String ifRange = r.headerList("If-Range"); // two lines match nothing: the whole file
            long[] span = ifRange == null || FileValidators.ifRangeHolds(ifRange, etag, modified)
                    ? FileValidators.range(range, size) : null;
            if (span == FileValidators.UNSATISFIABLE) {
                f.close();
                return Response.text(416, "Range Not Satisfiable\n").withHeader("Content-Range", "bytes */" + size)
                        .withHeader("Accept-Ranges", "bytes");
            }
            if (span != null) {
                first = span[0];
                count = span[1];
                contentRange = "bytes " + first + "-" + (first + count - 1) + "/" + size;
            }
        }
        StringBuilder fields = new StringBuilder(192)
                .append("Content-Type: ").append(type).append("\r\n")
                .append("Last-Modified: ").append(lastModified).append("\r\n")
                .append("ETag: ").append(etag).append("\r\n")
                .append(gzip ? "" : "Accept-Ranges: bytes\r\n"); // the gzip bytes are made whole, not ranged
        if (contentRange != null) {
            fields.append("Content-Range: ").append(contentRange).append("\r\n");
        }
        if (gzip) {
            byte[] gz;
            try {
                gz = gzipCache.get(f, k.level());
                if (gz == null) {
                    byte[] bytes = new byte[(int) size];
                    f.read(0, bytes, 0, bytes.length);
                    gz = k.gzip().compress(bytes, 0, bytes.length);
                    gzipCache.put(f, k.level(), gz);
                }
            } finally {
                f.close();
            }
            fields.append("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
            return HTTP.withFields(200, fields.toString().getBytes(StandardCharsets.ISO_8859_1), gz, type, true);
        }
        if (varies) {
            fields.append("Vary: Accept-Encoding\r\n");
        }
        return HTTP.fileResponse(contentRange != null ? 206 : 200, fields.toString().getBytes(StandardCharsets.ISO_8859_1),
                f, first, count);
    }

    private static final byte[] GET = {'G', 'E', 'T'};

    private static Response redirect(Request r, String location) {
        String q = r.query();
        return Response.text(301, "Moved Permanently\n").withHeader("Location", q == null ? location : location + "?" + q);
    }

    /**
     * The path below the prefix, percent-decoded, as a relative file path; null if it is
     * malformed or could leave the directory (a NUL, a backslash, a '.' or '..' segment).
     */
    static String decode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c > 0x7F) {
                return null; // the parser admits no such byte in a target; never here
            } else {
                bytes.write(c);
            }
        }
        String path;
        try {
            path = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException notUtf8) {
            return null;
        }
        if (path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0 || path.startsWith("/")) {
            return null;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return null;
            }
        }
        return path;
    }
}
