package org.kimserver.itest.unruly;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Packed into a test bundle whose stop never ends: it spins on a flag nobody sets. */
public class SpinningActivator implements BundleActivator {
    private volatile boolean released;

    @Override
    public void start(BundleContext context) {
    }

    @Override
    public void stop(BundleContext context) {
        while (!released) {
            Thread.onSpinWait();
        }
    }
}
