package org.kimserver.bench;

/** Why kim-call ends without a good reply: the message for the user and the exit status that says which kind. */
final class CallFailure extends Exception {
    /** The reply's code is an error, or the reply does not match the request. */
    static final int BAD_REPLY = 1;
    /** Bad arguments, or data that cannot be read. */
    static final int BAD_ARGUMENTS = 2;
    /** No reply: connection refused, closed without a reply, or the timeout. */
    static final int NO_REPLY = 3;

    private final int status;

    CallFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
