package ${package}.internal;

import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.osgi.service.component.annotations.Component;

/**
 * cmd ${cmd}: answers "hello, " and the request's data. It never blocks, so it says so (kim.non.blocking) and the
 * gate calls it on the network thread that read the request: the fastest path.
 */
@Component(property = {CommandHandler.CMD + "=${cmd}", CommandHandler.NON_BLOCKING + "=true"})
public final class HelloHandler implements CommandHandler {
    @Override
    public Reply handle(Request request) {
        return Reply.ok("ok", "hello, " + request.dataAsString());
    }
}
