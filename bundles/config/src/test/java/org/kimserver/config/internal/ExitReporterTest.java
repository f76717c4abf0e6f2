package org.kimserver.config.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.Test;

public class ExitReporterTest {

    @Test
    public void framesAreReadAsStackTraceElementWritesThem() {
        StackTraceElement jdk = ExitReporter.frame("java.base/java.lang.System.exit(System.java:1541)");
        assertEquals("java.lang.System", jdk.getClassName());
        assertEquals("exit", jdk.getMethodName());
        assertEquals("System.java", jdk.getFileName());
        assertEquals(1541, jdk.getLineNumber());
        StackTraceElement bundle = ExitReporter.frame("org.example.Handler.handle(Handler.java:11)");
        assertEquals("org.example.Handler", bundle.getClassName());
        assertEquals(11, bundle.getLineNumber());
        assertTrue(ExitReporter.frame("java.base/java.lang.Object.wait0(Native Method)").isNativeMethod());
        assertEquals(null, ExitReporter.frame("app//a.B.c(Unknown Source)").getFileName());
        assertEquals("a.B", ExitReporter.frame("app//a.B.c(Unknown Source)").getClassName());
    }

    @Test
    public void aVirtualThreadInSystemExitIsFoundInTheDump() throws Exception {
        String dump = """
                {"threadDump": {"threadContainers": [
                  {"container": "<root>", "threads": [
                    {"tid": "1", "name": "main", "stack": ["java.base/java.lang.Object.wait0(Native Method)"]}]},
                  {"container": "java.util.concurrent.ThreadPerTaskExecutor@1", "threads": [
                    {"tid": "77", "virtual": true, "name": "", "stack": [
                      "java.base/java.lang.Shutdown.exit(Shutdown.java:173)",
                      "java.base/java.lang.Runtime.exit(Runtime.java:188)",
                      "java.base/java.lang.System.exit(System.java:1541)",
                      "org.example.Handler.handle(Handler.java:11)"]}]}]}}
                """;
        assertTrue(ExitReporter.reportFromDump(new ObjectMapper().readTree(dump)));
        assertFalse(ExitReporter.reportFromDump(new ObjectMapper().readTree(
                "{\"threadDump\": {\"threadContainers\": [{\"threads\": [{\"tid\": \"1\", \"stack\": []}]}]}}")));
    }
}
