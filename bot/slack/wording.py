"""What leadbot says on Slack that the dialogs do not: button labels and the App Home tab.

British English; short. The dialogs' own words live in content/messages.yaml.
"""

CONTINUE_PRIVATELY = "Continue privately"
CONTINUED_PRIVATELY = "Carried on privately in a direct message."
NOTHING_TO_CONTINUE = "There's nothing here for me to carry on with. Send me a direct message whenever you like."
CHOSEN = "You chose: {label}"
SHORTENED = "(Shortened to fit in Slack.)"
NEXT_STEP = "Next step:"

HOME_TITLE = "leadbot"
HOME_WHAT = "What I do"
HOME_HOW = "How to use me"
HOME_USAGE = [
    "*Direct message:* tell me about a team problem here in Messages. The whole conversation stays between us.",
    "*In a channel:* mention @leadbot with the problem. I'll reply briefly in the thread, with a button to carry on privately.",
    "*Anywhere:* type `/leadbot` followed by the problem. Only you will see my answer.",
    "`/leadbot help` shows this again. `/leadbot forget me` deletes everything I hold about you.",
]
HOME_STORED = "What I store"
HOME_SETTINGS = "Your settings"
HOME_QUOTES_LABEL = "Show the quotation behind each suggestion"
HOME_ON = "On"
HOME_OFF = "Off"
HOME_TURN_ON = "Turn on"
HOME_TURN_OFF = "Turn off"
HOME_FORGET = "Your settings are deleted along with everything else when you send me `forget me`."
