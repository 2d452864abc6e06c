"""The few things only the Teams adapter says (everything else comes from content/messages.yaml)."""

CONTINUE_PRIVATELY = "Continue in a private chat"
CONTINUE_OFFER = "To keep this thread short, we can carry on in a private chat."
MOVED = "I've sent you a private message so we can carry on there."
NOTHING_TO_MOVE = "There's nothing in progress to carry over. Message me privately any time: open leadbot from Apps in Teams."
CANNOT_MESSAGE_PRIVATELY = "I can't message you privately yet. Open leadbot from Apps in Teams and say hello, then press the button again."
NEXT_STEP = "Next step"
