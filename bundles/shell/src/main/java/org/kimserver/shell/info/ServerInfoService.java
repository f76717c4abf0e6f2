package org.kimserver.shell.info;

/** This process's {@link ServerInfo}, as it is at the time of the call. Does not block. */
public interface ServerInfoService {
    ServerInfo info();
}
