package org.kimserver.shell.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class RunningCallTest {

    private static StackTraceElement frame(String type, String method) {
        return new StackTraceElement(type, method, null, -1);
    }

    @Test
    public void aComponentActivateCalledBySCRIsFoundBehindTheReflection() {
        StackTraceElement[] stack = {
            frame("java.lang.Thread", "onSpinWait"),
            frame("com.example.Spinner", "waitForever"),
            frame("com.example.Spinner", "activate"),
            frame("jdk.internal.reflect.DirectMethodHandleAccessor", "invoke"),
            frame("java.lang.reflect.Method", "invoke"),
            frame("org.apache.felix.scr.impl.inject.methods.BaseMethod", "invokeMethod"),
            frame("org.apache.felix.scr.impl.inject.methods.BaseMethod", "invoke"),
            frame("org.apache.felix.scr.impl.inject.methods.ActivateMethod", "invoke"),
            frame("org.apache.felix.scr.impl.manager.SingleComponentManager", "createImplementationObject"),
        };
        RunningCall call = RunningCall.in(stack).orElseThrow();
        assertEquals("component method", call.kind());
        assertEquals("com.example.Spinner", call.className());
        assertEquals("activate", call.frame().getMethodName());
    }

    @Test
    public void aBundleActivatorStartIsFound() {
        StackTraceElement[] stack = {
            frame("com.example.Activator", "start"),
            frame("org.apache.felix.framework.util.SecureAction", "startActivator"),
            frame("org.apache.felix.framework.Felix", "activateBundle"),
        };
        RunningCall call = RunningCall.in(stack).orElseThrow();
        assertEquals("BundleActivator.start", call.kind());
        assertEquals("com.example.Activator", call.className());
    }

    @Test
    public void aThreadThatRunsNoActivationIsNotAnActivation() {
        StackTraceElement[] stack = {
            frame("java.lang.Object", "wait"),
            frame("org.apache.felix.scr.impl.ComponentRegistry", "getComponentHolders"),
            frame("org.apache.felix.framework.util.SecureAction", "getAccessControlContext"),
        };
        assertTrue(RunningCall.in(stack).isEmpty());
    }
}
