package org.kimserver.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Handles client commands. A business bundle registers an implementation as an OSGi service (whiteboard); the gate
 * routes every request whose cmd is listed in the service's {@value #CMD} property to it, and sends the returned
 * {@link Reply} back as cmd+1 with the request's seq.
 *
 * <h2>Service properties</h2>
 * <ul>
 * <li>{@value #CMD}: the command numbers handled, as one number, several (array, collection, or a string such as
 * {@code "1001,1003"}), or {@value #ANY} for a catch-all handler that receives the commands no other handler
 * claims (a gate relay, say).</li>
 * <li>{@value #NON_BLOCKING}: {@code true} promises that {@link #handle} never blocks (no I/O, no locks held long,
 * no sleeping). Such a handler is called on the network thread that read the request, which is the fastest path.
 * Without it, calls run on virtual threads, so a handler may block on JDBC, Redis or another node the way the
 * original's coroutines did. The calls for one connection may run one after another on the same virtual thread,
 * as in a thread pool: a handler removes the ThreadLocals it sets (the gate clears the interrupt flag and restores
 * the context class loader between calls).</li>
 * <li>{@code service.ranking}: when two handlers claim one command, the higher ranking wins (ties: the older
 * service); {@code kim:cmds} lists the losers.</li>
 * </ul>
 *
 * <h2>Order, lifetime, errors</h2>
 * Requests of one connection are handled one after another and their replies leave in request order, so a handler
 * is never called twice at once for the same connection (it is for different ones). A handler registered while
 * clients are connected receives the next request for its command. When it is unregistered it receives no new
 * requests, and its unregistration waits until the calls in progress have returned; requests that arrive while its
 * command has no handler wait a moment (the gate's {@code handler_grace_ms}) for one, so that updating a bundle
 * fails no request. A handler that throws (an exception or an error) gets a
 * reply with code {@link ErrorCode#FAILED} and a short message; the connection stays open and the stack trace
 * is logged once.
 */
@ConsumerType
public interface CommandHandler {

    /** Service property: the command number(s) this handler serves, or {@value #ANY}. */
    String CMD = "kim.cmd";

    /** Value of {@value #CMD} for a catch-all handler. */
    String ANY = "*";

    /** Service property: {@code true} if {@link #handle} never blocks and may run on the network thread. */
    String NON_BLOCKING = "kim.non.blocking";

    /**
     * Handles one request.
     *
     * @return the reply to send; never {@code null}
     * @throws Exception to answer with {@link ErrorCode#FAILED}
     */
    Reply handle(Request request) throws Exception;
}
