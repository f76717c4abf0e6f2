package org.kimserver.itest.setmodule;

import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.kimserver.itest.setlib.Shout;

/** Packed into a test module that imports the library bundle of {@link Shout}: it answers the data shouted. */
public class ShoutHandler implements CommandHandler {
    @Override
    public Reply handle(Request request) {
        return Reply.ok("ok", Shout.shout(request.dataAsString()));
    }
}
