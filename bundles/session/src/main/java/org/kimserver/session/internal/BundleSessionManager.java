package org.kimserver.session.internal;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.kimserver.api.Session;
import org.kimserver.api.SessionManager;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/**
 * One instance a using bundle (bundle scope): sessions are shared by id across bundles, but each is owned by the
 * bundle that added it and is deleted when that bundle releases the service.
 */
@Component(scope = ServiceScope.BUNDLE)
public final class BundleSessionManager implements SessionManager {

    @Reference
    private SessionRegistry registry;

    @Deactivate
    void deactivate() {
        registry.deleteOwnedBy(this);
    }

    @Override
    public boolean add(Session session, Duration after, Duration repeat) {
        return registry.add(session, after, repeat, this);
    }

    @Override
    public <S extends Session> S getOrCreate(String id, Class<S> type, Function<String, S> factory,
                                             Duration after) {
        return registry.getOrCreate(id, type, factory, after, this);
    }

    @Override
    public Optional<Session> get(String id) {
        return registry.get(id);
    }

    @Override
    public boolean delete(String id) {
        return registry.delete(id);
    }

    @Override
    public int size() {
        return registry.size();
    }
}
