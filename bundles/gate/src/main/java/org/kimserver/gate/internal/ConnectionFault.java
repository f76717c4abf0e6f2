package org.kimserver.gate.internal;

/**
 * A limit a client broke (a frame past its deadline, a large frame the memory budget cannot hold): the connection
 * takes no more requests and closes once the replies owed are written. Counted and logged where it is raised;
 * no stack trace, since it says nothing about the server's code.
 */
final class ConnectionFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConnectionFault(String reason) {
        super(reason, null, false, false);
    }
}
