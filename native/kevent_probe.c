/*
 * Prints the layout and constants of struct kevent from the sys/event.h it is compiled
 * against: libkqueue's on Linux (LibkqueueProbeTest compiles it with -I to libkqueue's include
 * directory). Same output format as layout_probe.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/event.h>

#define OFF(f)    printf("offsetof kevent.%s %zu\n", #f, offsetof(struct kevent, f))
#define CONST(c)  printf("const %s %lld\n", #c, (long long) (c))

int main(void) {
    printf("sizeof kevent %zu\n", sizeof(struct kevent));
    OFF(ident); OFF(filter); OFF(flags); OFF(fflags); OFF(data); OFF(udata);
    CONST(EVFILT_READ); CONST(EVFILT_WRITE); CONST(EVFILT_USER);
    CONST(EV_ADD); CONST(EV_DELETE); CONST(EV_ENABLE); CONST(EV_DISABLE); CONST(EV_ONESHOT);
    CONST(EV_CLEAR); CONST(EV_RECEIPT); CONST(EV_ERROR); CONST(EV_EOF); CONST(NOTE_TRIGGER);
    return 0;
}
