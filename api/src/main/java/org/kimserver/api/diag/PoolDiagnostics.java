package org.kimserver.api.diag;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The connection pools of one kind in this process, as values; the database and Redis bundles provide it. Never
 * blocks.
 *
 * @since 1.4
 */
@ProviderType
public interface PoolDiagnostics {
    /** Every node's pool, by node name. */
    List<PoolStatistics> pools();
}
