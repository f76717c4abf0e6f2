package org.kimserver.api.diag;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The manager's workers as values; the supervisor provides it, in the manager process only. Never blocks. */
@ProviderType
public interface WorkerDiagnostics {
    /** Every worker, in index order. */
    List<WorkerInfo> workers();
}
