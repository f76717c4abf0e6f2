package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;
import org.kimserver.api.Reply;
import org.kimserver.api.diag.Problem;
import org.osgi.framework.Version;

/** Which handler serves a command: the newest version of a bundle first, then service ranking, then age. */
public class HandlerPrecedenceTest {
    private static final int CMD = 5001;
    private final HandlerRegistry registry = new HandlerRegistry();
    private long serviceIds;

    private HandlerEntry add(String bundle, String version, int ranking) {
        HandlerEntry entry = new HandlerEntry(request -> Reply.ok("ok", bundle + " " + version), CMD, true, bundle,
                Version.parseVersion(version), ++serviceIds, ranking);
        registry.add(entry);
        return entry;
    }

    @Test
    public void aNewerVersionOfTheSameBundleWinsOverTheOlderRegisteredFirst() {
        HandlerEntry older = add("org.example.mymodule", "1.0.1", 0);
        HandlerEntry newer = add("org.example.mymodule", "1.0.2", 0);
        HandlerRegistry.Route route = registry.find(CMD);
        assertEquals(newer, route.handler());
        assertEquals(List.of(older), route.superseded());
        assertEquals(List.of(), route.conflicting());
        assertEquals(List.of(), registry.problems());
    }

    @Test
    public void theVersionComesBeforeTheServiceRanking() {
        HandlerEntry older = add("org.example.mymodule", "1.0.1", 100);
        HandlerEntry newer = add("org.example.mymodule", "1.1.0", 0);
        assertEquals(newer, registry.find(CMD).handler());
        assertEquals(List.of(older), registry.find(CMD).superseded());
    }

    @Test
    public void handlersOfOtherBundlesAreAConflictAndAProblem() {
        HandlerEntry first = add("org.example.one", "1.0.0", 0);
        HandlerEntry other = add("org.example.two", "2.0.0", 0);
        HandlerEntry older = add("org.example.one", "0.9.0", 0);
        HandlerRegistry.Route route = registry.find(CMD);
        assertEquals("the oldest service of equal ranking", first, route.handler());
        assertEquals(List.of(other), route.conflicting());
        assertEquals(List.of(older), route.superseded());
        List<Problem> problems = registry.problems();
        assertEquals(1, problems.size());
        assertEquals("cmd " + CMD, problems.get(0).subject());
        assertTrue(problems.get(0).reason(), problems.get(0).reason().contains("org.example.two 2.0.0"));

        registry.remove(other.serviceId);
        assertEquals(List.of(), registry.problems());
    }

    @Test
    public void aHandlerWhosePropertyNamesNoCommandIsAProblemUntilItGoes() {
        HandlerEntry good = add("org.example.one", "1.0.0", 0);
        HandlerEntry bad = new HandlerEntry(request -> Reply.ok("ok", ""), "abc,-5", true, "org.example.bad",
                Version.parseVersion("1.0.0"), ++serviceIds, 0);
        registry.add(bad);
        assertEquals(good, registry.find(CMD).handler());
        List<Problem> problems = registry.problems();
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).subject(), problems.get(0).subject().startsWith("handler ")
                && problems.get(0).subject().contains("org.example.bad"));
        assertTrue(problems.get(0).reason(), problems.get(0).reason().startsWith(
                "ignored, it serves no command: kim.cmd abc,-5: "));
        registry.remove(bad.serviceId);
        assertEquals(List.of(), registry.problems());
    }
}
