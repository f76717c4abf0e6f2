package org.kimserver.moduletest.internal;

import org.kimserver.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The original's UserSession: a user id and name kept under the id's decimal string. */
final class UserSession implements Session {
    private static final Logger LOG = LoggerFactory.getLogger(UserSession.class);

    private final String id;
    private volatile long userId;
    private volatile String userName;

    UserSession(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    void set(long userId, String userName) {
        this.userId = userId;
        this.userName = userName;
    }

    @Override
    public void onTimeout() {
        LOG.debug("session timeout: user {} ({})", userId, userName);
    }
}
