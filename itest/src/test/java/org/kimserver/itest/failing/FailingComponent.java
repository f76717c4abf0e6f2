package org.kimserver.itest.failing;

/** Packed into a test bundle whose DS component must fail to activate, and be reported with this reason. */
public class FailingComponent {
    public void activate() {
        throw new IllegalStateException("itest component refuses to start");
    }
}
