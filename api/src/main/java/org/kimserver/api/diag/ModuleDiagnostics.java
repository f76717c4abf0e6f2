package org.kimserver.api.diag;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The modules of this process's deploy folder as values; the shell provides it. A jar in the folder and a bundle
 * still installed from a jar that is gone both count. Never blocks for long: it reads the jars' digests only.
 *
 * @since 1.3
 */
@ProviderType
public interface ModuleDiagnostics {
    /** Every module, by file name. */
    List<ModuleState> modules();
}
