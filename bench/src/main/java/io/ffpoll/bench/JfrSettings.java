package io.ffpoll.bench;

import jdk.jfr.Configuration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;

/** The settings the benchmarks record with: the JDK's default ones and the project's jfr/ffpoll.jfc. */
final class JfrSettings {
    private JfrSettings() {}

    /** A modifiable copy: the JDK's default settings, then jfr/ffpoll.jfc's over them. */
    static Map<String, String> defaultAndShipped() throws IOException, ParseException {
        Map<String, String> settings = new HashMap<>(Configuration.getConfiguration("default").getSettings());
        settings.putAll(Configuration.create(shipped()).getSettings());
        return settings;
    }

    /** jfr/ffpoll.jfc, from the project's directory (bench/jmh) or the bench module's (its tests). */
    private static Path shipped() {
        Path here = Path.of("jfr", "ffpoll.jfc");
        return Files.exists(here) ? here : Path.of("..", "jfr", "ffpoll.jfc");
    }
}
