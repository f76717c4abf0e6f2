package org.kimserver.handoff;

/**
 * The connection hand-off of a manager ({@code is_reuseport} false): registered while its hand-off socket listens,
 * with the service properties {@value #SOCKET_PROPERTY} and {@code kim.gate.state} (with {@code kim.gate.address},
 * and {@code kim.gate.error} when failed) for its listener on the gate port. Never blocks.
 */
public interface HandoffDiagnostics {
    /** The service property with the path of the hand-off socket, which workers connect to. */
    String SOCKET_PROPERTY = "kim.handoff.socket";

    HandoffStatistics statistics();
}
