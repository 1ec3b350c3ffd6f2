package io.ffpoll.http.files;

import io.ffpoll.http.Response;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Content-Type by file extension for static files: a small built-in table of what the web
 * serves (text in UTF-8), which the user's own entries override. Unknown extensions are
 * {@code application/octet-stream}, as nginx's default.
 */
final class ContentTypes {
    static final String DEFAULT = "application/octet-stream";
    private static final Map<String, String> BUILT_IN = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"), // RFC 9239
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("csv", "text/csv; charset=utf-8"),
            Map.entry("xml", "application/xml"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"),
            Map.entry("webp", "image/webp"),
            Map.entry("avif", "image/avif"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff", "font/woff"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"),
            Map.entry("otf", "font/otf"),
            Map.entry("wasm", "application/wasm"),
            Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"),
            Map.entry("gz", "application/gzip"),
            Map.entry("tar", "application/x-tar"),
            Map.entry("mp3", "audio/mpeg"),
            Map.entry("ogg", "audio/ogg"),
            Map.entry("mp4", "video/mp4"),
            Map.entry("webm", "video/webm"));

    private final Map<String, String> byExtension;

    /** The built-in table with {@code overrides} (extension without the dot, any case, to type) on top. */
    ContentTypes(Map<String, String> overrides) {
        Map<String, String> m = new HashMap<>(BUILT_IN);
        overrides.forEach((ext, type) -> {
            String e = ext.startsWith(".") ? ext.substring(1) : ext;
            if (e.isEmpty() || type == null || type.isBlank()) {
                throw new IllegalArgumentException("a content type needs an extension and a type: " + ext + " -> " + type);
            }
            Response.of(200, type, new byte[0]); // refuses a value that cannot be a field value
            m.put(e.toLowerCase(Locale.ROOT), type.strip());
        });
        byExtension = Map.copyOf(m);
    }

    /** The type of a file by its name's extension. */
    String of(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot < 0 || dot == fileName.length() - 1) {
            return DEFAULT;
        }
        return byExtension.getOrDefault(fileName.substring(dot + 1).toLowerCase(Locale.ROOT), DEFAULT);
    }
}
