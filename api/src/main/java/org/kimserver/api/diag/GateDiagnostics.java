package org.kimserver.api.diag;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The gate's state as values: its statistics and its command routes; the gate bundle provides it. Never blocks. */
@ProviderType
public interface GateDiagnostics {
    GateStatistics statistics();

    /** Every command served, in command order, the catch-all last. */
    List<CommandRoute> commands();

    /**
     * The calls and failures of every handler registered now, summed per bundle version: what a canary of a new
     * version of a module is judged by.
     *
     * @since 1.3
     */
    List<HandlerCalls> handlerCalls();
}
