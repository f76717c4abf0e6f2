package org.kimserver.api.diag;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The gate's state as values: its statistics and its command routes; the gate bundle provides it. Never blocks. */
@ProviderType
public interface GateDiagnostics {
    GateStatistics statistics();

    /** Every command served, in command order, the catch-all last. */
    List<CommandRoute> commands();
}
