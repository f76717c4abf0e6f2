package org.kimserver.shell.internal;

import java.util.Optional;

/**
 * A component's activation (or modification, or deactivation) or a bundle activator's start or stop, found
 * running in a thread's stack.
 *
 * @param kind   what is running: {@code "component method"} (activate, modified or deactivate),
 *               {@code "component construction"}, {@code "BundleActivator.start"} or {@code "BundleActivator.stop"}
 * @param frame  the frame of the component's or activator's own code that the framework called
 */
record RunningCall(String kind, StackTraceElement frame) {

    /** The class whose code was called: the component's implementation class, or the activator. */
    String className() {
        return frame.getClassName();
    }

    /**
     * The innermost call of SCR into a component's lifecycle method or constructor, or of Felix into a bundle
     * activator, in {@code stack} (innermost frame first); empty when there is none.
     */
    static Optional<RunningCall> in(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            String kind = kind(stack[i]);
            if (kind != null) {
                for (int j = i - 1; j >= 0; j--) {
                    if (!isPlumbing(stack[j].getClassName())) {
                        return Optional.of(new RunningCall(kind, stack[j]));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String kind(StackTraceElement frame) {
        String type = frame.getClassName();
        String method = frame.getMethodName();
        if (type.equals("org.apache.felix.scr.impl.inject.methods.ActivateMethod") && method.equals("invoke")) {
            return "component method";
        }
        if (type.equals("org.apache.felix.scr.impl.inject.internal.ComponentConstructorImpl")
                && method.equals("newInstance")) {
            return "component construction";
        }
        if (type.equals("org.apache.felix.framework.util.SecureAction")) {
            return switch (method) {
                case "startActivator" -> "BundleActivator.start";
                case "stopActivator" -> "BundleActivator.stop";
                default -> null;
            };
        }
        return null;
    }

    /** Frames between the framework's call and the code it calls: SCR's own, reflection, method handles. */
    private static boolean isPlumbing(String type) {
        return type.startsWith("org.apache.felix.scr.") || type.startsWith("java.lang.reflect.")
                || type.startsWith("jdk.internal.reflect.") || type.startsWith("java.lang.invoke.")
                || type.startsWith("jdk.internal.");
    }
}
