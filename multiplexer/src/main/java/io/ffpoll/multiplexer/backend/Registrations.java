package io.ffpoll.multiplexer.backend;

import java.util.Arrays;

/**
 * Per-fd registration state for a Poller, in arrays indexed by fd (fd numbers are small and
 * dense), so a lookup is an index and nothing is allocated per event: the state, a generation
 * that changes with each registration, the interest, the readiness the kernel reported and has
 * not been cleared, and two queues: changes for the kernel and deliveries owed without one.
 */
public final class Registrations {
    static final byte FREE = 0;
    static final byte PENDING_ADD = 1; // queued; added to (or, if still there, replaced in) the kernel by the next poll
    static final byte ACTIVE = 2;
    static final byte PENDING_DELETE = 3; // deregistered, fd open: removed from the set by the next poll
    static final byte FAILED = 4; // the add failed; the next poll reports it, then FREE

    private byte[] state = new byte[256];
    private boolean[] inKernel = new boolean[256];
    private boolean[] shared = new boolean[256];
    private int[] generation = new int[256];
    private int[] closes = new int[256];
    private int[] interest = new int[256];
    private int[] ready = new int[256];
    private int[] owed = new int[256];
    private int[] failure = new int[256];
    private String[] failedCall = new String[256];
    private Object[] attachment = new Object[256];
    private int[] batchStamp = new int[256];
    private int[] batchSlot = new int[256];
    private boolean[] queuedChange = new boolean[256];
    private boolean[] queuedDelivery = new boolean[256];
    private int batch;
    private boolean kernelFirst; // owed events took the whole last buffer: the kernel goes first now

    private int[] changes = new int[64];
    private int changeCount;
    private int[] deliveries = new int[64];
    private int deliveryCount;

    private void grow(int fd) {
        if (fd < state.length) {
            return;
        }
        int n = Math.max(state.length * 2, fd + 1);
        state = Arrays.copyOf(state, n);
        inKernel = Arrays.copyOf(inKernel, n);
        shared = Arrays.copyOf(shared, n);
        generation = Arrays.copyOf(generation, n);
        closes = Arrays.copyOf(closes, n);
        interest = Arrays.copyOf(interest, n);
        ready = Arrays.copyOf(ready, n);
        owed = Arrays.copyOf(owed, n);
        failure = Arrays.copyOf(failure, n);
        failedCall = Arrays.copyOf(failedCall, n);
        attachment = Arrays.copyOf(attachment, n);
        batchStamp = Arrays.copyOf(batchStamp, n);
        batchSlot = Arrays.copyOf(batchSlot, n);
        queuedChange = Arrays.copyOf(queuedChange, n);
        queuedDelivery = Arrays.copyOf(queuedDelivery, n);
    }

    private byte stateOf(int fd) {
        return fd >= 0 && fd < state.length ? state[fd] : FREE;
    }

    /** The readiness bits that interest {@code bits} lets through. */
    private static int mask(int bits) {
        int m = 0;
        if ((bits & EventBuffer.READ) != 0) {
            m |= EventBuffer.READ | EventBuffer.READ_CLOSED | EventBuffer.ERROR;
        }
        if ((bits & EventBuffer.WRITE) != 0) {
            m |= EventBuffer.WRITE | EventBuffer.WRITE_CLOSED | EventBuffer.ERROR;
        }
        return m;
    }

    public boolean isRegistered(int fd) {
        byte s = stateOf(fd);
        return s == PENDING_ADD || s == ACTIVE;
    }

    /** Every fd registered or queued to be, in ascending order. */
    public int[] registeredFds() {
        int n = 0;
        for (int fd = 0; fd < state.length; fd++) {
            if (isRegistered(fd)) {
                n++;
            }
        }
        int[] fds = new int[n];
        int i = 0;
        for (int fd = 0; fd < state.length; fd++) {
            if (isRegistered(fd)) {
                fds[i++] = fd;
            }
        }
        return fds;
    }

    public boolean isCurrent(int fd, int gen) {
        return stateOf(fd) == ACTIVE && generation[fd] == gen;
    }

    private IllegalStateException notRegistered(int fd) {
        return new IllegalStateException("fd " + fd + " is not registered");
    }

    /**
     * Queues {@code fd}'s registration. {@code sharedFile}: other descriptors of the same open
     * file may be registered elsewhere (duplicates of one listening socket on several loops).
     */
    public void register(int fd, int bits, Object att, boolean sharedFile) {
        grow(fd);
        if (isRegistered(fd)) {
            throw new IllegalStateException("fd " + fd + " is already registered");
        }
        shared[fd] = sharedFile;
        generation[fd]++;
        state[fd] = PENDING_ADD;
        interest[fd] = bits;
        ready[fd] = 0;
        owed[fd] = 0;
        attachment[fd] = att;
        queueChange(fd);
    }

    public Object attachment(int fd) {
        if (!isRegistered(fd)) {
            throw notRegistered(fd);
        }
        return attachment[fd];
    }

    /** {@code fd}'s interest bits (READ, WRITE); 0 when not registered. */
    public int interest(int fd) {
        return isRegistered(fd) ? interest[fd] : 0;
    }

    public void modify(int fd, int bits, Object att) {
        if (!isRegistered(fd)) {
            throw notRegistered(fd);
        }
        int enabled = bits & ~interest[fd];
        interest[fd] = bits;
        attachment[fd] = att;
        owe(fd, enabled);
    }

    /** Queues the remembered readiness of the directions in {@code bits} for the next poll. */
    private void owe(int fd, int bits) {
        int due = ready[fd] & mask(bits);
        if (state[fd] == ACTIVE && due != 0) {
            owed[fd] |= due;
            queueDelivery(fd);
        }
    }

    /** Delivers {@code fd}'s remembered readiness in {@code bits} again on the next poll. */
    public void redeliver(int fd, int bits) {
        if (!isRegistered(fd)) {
            throw notRegistered(fd);
        }
        owe(fd, bits & interest[fd]);
    }

    /** Whether {@code fd} was last reported ready for one of {@code bits} and not cleared since. */
    public boolean isReady(int fd, int bits) {
        return isRegistered(fd) && (ready[fd] & bits) != 0;
    }

    public void clearReadiness(int fd, int bits) {
        if (!isRegistered(fd)) {
            throw notRegistered(fd);
        }
        // Only the plain directions: hang-up and error stay true once reported.
        ready[fd] &= ~(bits & (EventBuffer.READ | EventBuffer.WRITE));
        owed[fd] &= ~(bits & (EventBuffer.READ | EventBuffer.WRITE));
    }

    public void deregister(int fd) {
        if (!isRegistered(fd)) {
            throw notRegistered(fd);
        }
        generation[fd]++;
        attachment[fd] = null;
        if (inKernel[fd]) {
            state[fd] = PENDING_DELETE;
            queueChange(fd);
        } else {
            state[fd] = FREE;
        }
    }

    /** The fd is being closed: the kernel drops it from the set, so no syscall is owed. */
    public void forget(int fd) {
        if (fd >= state.length) {
            return;
        }
        generation[fd]++;
        closes[fd]++;
        state[fd] = FREE;
        inKernel[fd] = false;
        attachment[fd] = null;
    }

    private void queueChange(int fd) {
        if (queuedChange[fd]) {
            return;
        }
        queuedChange[fd] = true;
        if (changeCount == changes.length) {
            changes = Arrays.copyOf(changes, changeCount * 2);
        }
        changes[changeCount++] = fd;
    }

    private void queueDelivery(int fd) {
        if (queuedDelivery[fd]) {
            return;
        }
        queuedDelivery[fd] = true;
        if (deliveryCount == deliveries.length) {
            deliveries = Arrays.copyOf(deliveries, deliveryCount * 2);
        }
        deliveries[deliveryCount++] = fd;
    }

    public int changeCount() {
        return changeCount;
    }

    public int change(int i) {
        return changes[i];
    }

    public void clearChanges() {
        for (int i = 0; i < changeCount; i++) {
            queuedChange[changes[i]] = false;
        }
        changeCount = 0;
    }

    public boolean isPendingAdd(int fd) {
        return state[fd] == PENDING_ADD;
    }

    /** Whether other descriptors of {@code fd}'s file may be registered elsewhere. */
    public boolean isShared(int fd) {
        return fd < shared.length && shared[fd];
    }

    /** Whether the kernel still has {@code fd} from an earlier registration (its removal never reached it). */
    public boolean isInKernel(int fd) {
        return fd >= 0 && fd < inKernel.length && inKernel[fd];
    }

    public boolean isPendingDelete(int fd) {
        return state[fd] == PENDING_DELETE;
    }

    /** {@code fd}'s registration generation: it changes on every register, deregister and close. */
    public int generation(int fd) {
        return fd < generation.length ? generation[fd] : 0;
    }

    /** How many times {@code fd}'s number was closed through {@link #forget} (0 for one never registered). */
    public int closes(int fd) {
        return fd < closes.length ? closes[fd] : 0;
    }

    public void added(int fd) {
        state[fd] = ACTIVE;
        inKernel[fd] = true;
    }

    /** The registration could not be applied: {@code call} (as the message names it) failed with {@code errno}. */
    public void addFailed(int fd, int errno, String call) {
        state[fd] = FAILED;
        inKernel[fd] = false;
        failure[fd] = errno;
        failedCall[fd] = call;
        queueDelivery(fd);
    }

    public void deleted(int fd) {
        state[fd] = FREE;
        inKernel[fd] = false;
    }

    public boolean hasDeliveries() {
        return deliveryCount > 0;
    }

    /** Starts filling {@code events} for one poll. */
    public void beginBatch() {
        batch++;
    }

    /** Readiness from the kernel for {@code fd} as registered at generation {@code gen}. */
    public void kernelEvent(int fd, int gen, int bits, EventBuffer events) {
        if (!isCurrent(fd, gen)) {
            return; // an earlier registration of this fd number
        }
        ready[fd] |= bits;
        int due = bits & mask(interest[fd]);
        if (due != 0 && !emit(fd, due, events, events.capacity())) {
            // More fds were ready than the buffer holds (kqueue reports each filter apart, and
            // its event list also has room for error entries): the rest is owed to the next poll.
            owed[fd] |= due;
            queueDelivery(fd);
        }
    }

    private boolean emit(int fd, int bits, EventBuffer events, int limit) {
        if (batchStamp[fd] == batch) {
            events.ready[batchSlot[fd]] |= bits;
            return true;
        }
        if (events.size >= limit) {
            return false;
        }
        batchStamp[fd] = batch;
        batchSlot[fd] = events.add(fd, generation[fd], bits, 0, attachment[fd]);
        return true;
    }

    /**
     * Before the kernel's wait: delivers what is owed (remembered readiness, failed
     * registrations) into at most half of {@code events}, at least one slot, and returns the
     * slots left for the kernel. Owed events go first because the kernel may fill every buffer
     * it is given, poll after poll, and what is owed would then never be delivered; they take
     * half at most so the kernel's events are not starved either. When they took every slot
     * (a buffer of one), the next poll gives the kernel its turn first.
     */
    public int deliverOwedFirst(EventBuffer events) {
        int capacity = events.capacity();
        deliverPending(events, kernelFirst ? 0 : Math.max(1, capacity / 2));
        int room = capacity - events.size;
        kernelFirst = room == 0;
        return room;
    }

    /** After the kernel's wait: adds what is still owed; what does not fit stays owed. */
    public void deliverPending(EventBuffer events) {
        deliverPending(events, events.capacity());
    }

    private void deliverPending(EventBuffer events, int limit) {
        int kept = 0;
        for (int i = 0; i < deliveryCount; i++) {
            int fd = deliveries[i];
            boolean done = true;
            if (state[fd] == FAILED) {
                if (events.size < limit) {
                    int slot = events.add(fd, generation[fd], EventBuffer.ERROR, failure[fd], attachment[fd]);
                    events.failedCall[slot] = failedCall[fd];
                    state[fd] = FREE;
                    attachment[fd] = null;
                    failure[fd] = 0;
                    failedCall[fd] = null;
                } else {
                    done = false;
                }
            } else if (state[fd] == ACTIVE) {
                int due = owed[fd] & mask(interest[fd]);
                if (due != 0 && !emit(fd, due, events, limit)) {
                    done = false;
                }
            }
            if (done) {
                queuedDelivery[fd] = false;
                owed[fd] = 0;
            } else {
                deliveries[kept++] = fd;
            }
        }
        deliveryCount = kept;
    }
}
