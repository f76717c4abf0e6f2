package org.kimserver.api.diag;

import java.util.List;

/**
 * Who serves one command, as {@code kim:cmds} shows it.
 *
 * @param command     the command number, or {@code "*"} for the catch-all
 * @param calls       requests for it handed to a handler so far
 * @param handler     the handler that serves it
 * @param superseded  handlers of older versions of the winner's bundles, not called while a newer one claims it
 * @param conflicting handlers of other bundles (or of the same version) that claim it too and lose to
 *                    {@code handler} by service ranking, then age: a problem an operator must solve
 */
public record CommandRoute(String command, long calls, Handler handler, List<Handler> superseded,
                           List<Handler> conflicting) {

    public CommandRoute {
        superseded = List.copyOf(superseded);
        conflicting = List.copyOf(conflicting);
    }

    /**
     * One handler service.
     *
     * @param className   the handler's class
     * @param bundle      the symbolic name of the bundle that registered it
     * @param version     that bundle's version
     * @param serviceId   its service id
     * @param ranking     its service ranking
     * @param nonBlocking whether it runs on the network thread
     */
    public record Handler(String className, String bundle, String version, long serviceId, int ranking,
                          boolean nonBlocking) {
    }
}
