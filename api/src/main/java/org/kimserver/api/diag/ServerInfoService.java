package org.kimserver.api.diag;

import org.osgi.annotation.versioning.ProviderType;

/** This process's {@link ServerInfo}, as it is at the time of the call. Does not block. */
@ProviderType
public interface ServerInfoService {
    ServerInfo info();
}
