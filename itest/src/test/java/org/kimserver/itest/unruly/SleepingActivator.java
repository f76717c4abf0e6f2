package org.kimserver.itest.unruly;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** Packed into a test bundle that takes two minutes to start, as a module that loads much at start might. */
public class SleepingActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) throws InterruptedException {
        Thread.sleep(120_000);
    }

    @Override
    public void stop(BundleContext context) {
    }
}
