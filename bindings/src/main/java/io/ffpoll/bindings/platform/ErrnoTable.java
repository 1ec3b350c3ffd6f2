package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.ErrnoName;

import java.util.EnumMap;
import java.util.Map;

/** One OS's errno numbers by name, for {@link Platform#errno} and {@link Platform#describe}. */
final class ErrnoTable {
    private final Map<ErrnoName, Integer> errnos = new EnumMap<>(ErrnoName.class);

    /** {@code numbers} in {@link ErrnoName} order. */
    ErrnoTable(int... numbers) {
        ErrnoName[] names = ErrnoName.values();
        if (numbers.length != names.length) {
            throw new IllegalArgumentException("need " + names.length + " errno numbers, got " + numbers.length);
        }
        for (int i = 0; i < names.length; i++) {
            errnos.put(names[i], numbers[i]);
        }
    }

    int number(ErrnoName name) {
        return errnos.get(name);
    }

    String describe(int errno) {
        for (Map.Entry<ErrnoName, Integer> e : errnos.entrySet()) {
            if (e.getValue() == errno) {
                return e.getKey().name() + " (" + e.getKey().text() + ")";
            }
        }
        return "errno " + errno;
    }
}
