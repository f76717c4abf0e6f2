package org.kimserver.itest.failing;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Packed into a test bundle whose activator's start throws, and must be reported with this reason. */
public class ThrowingActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        throw new IllegalStateException("itest activator refuses to start");
    }

    @Override
    public void stop(BundleContext context) {
    }
}
