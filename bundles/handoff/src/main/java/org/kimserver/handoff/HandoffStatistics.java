package org.kimserver.handoff;

import java.util.List;
import java.util.Map;

/**
 * What the hand-off has done since it started (with the manager, or when {@code is_reuseport} became false).
 *
 * @param state {@code listening}, {@code failed} (see {@code error}) or {@code not listening}
 * @param address the gate address it accepts on ({@code host:port}) or is trying to
 * @param error why it does not listen, or {@code null}
 * @param socket the hand-off socket's path, which workers connect to
 * @param connectedWorkers the process tags ({@code W1}) of the workers connected now, in their rotation order
 * @param handedByWorker connections handed to each worker, by process tag (a worker that
 *        reconnects goes on counting under its tag)
 * @param closedWithoutWorker connections closed at once because no worker was connected
 */
public record HandoffStatistics(String state, String address, String error, String socket,
                                List<String> connectedWorkers, Map<String, Long> handedByWorker,
                                long closedWithoutWorker) {
}
