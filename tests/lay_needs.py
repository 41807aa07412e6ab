"""The 30 lay needs of shared/notes/DOMAIN.md (section C), shared by tests and benchmarks."""

LAY_NEEDS = (
    "lower back pain from sitting at desk all day",
    "slipped disc in my lower back",
    "shooting pain down back of my leg",
    "butt pain worse after long drives",
    "can't lift my arm above my head for months",
    "heel pain on first steps in the morning",
    "numb fingers when typing",
    "jaw clicking and clenching at night",
    "neck stiff after car accident",
    "pitcher with sore shoulder",
    "outside of elbow hurts when gripping",
    "swelling after liposuction",
    "post-surgery lymph drainage after tummy tuck",
    "arm swelling after breast cancer surgery",
    "fibromyalgia, need very gentle touch",
    "tension headaches every afternoon",
    "tingling in hands when arms are raised",
    "shin pain from running",
    "legs tight before my marathon",
    "knots in my shoulders, like really deep pressure",
    "28 weeks pregnant, lower back aching",
    "arthritis in my mom's hands",
    "panic attacks, want something calming",
    "can't sleep, stressed from work",
    "relaxing gift massage for my wife",
    "couples massage for our anniversary",
    "hot stone massage near Hoboken",
    "stretchy massage on a mat",
    "restless legs at night",
    "scar tissue tight after knee replacement",
)
#: Spa needs and short queries people type besides the lay needs.
OTHER_NEEDS = ("", "sciatica", "deep tissue", "swedish massage", "hot stone", "prenatal massage",
               "relaxing", "massage", "sports massage", "lymphatic drainage")  # fmt: skip
#: Dense places (tens of thousands of demo practitioners within 25 miles) and sparse ones.
DENSE_PLACES = ("Hoboken, NJ", "Manhattan, NY", "Brooklyn, NY", "Jersey City, NJ")
SPARSE_PLACES = ("Chicago, IL", "Austin, TX", "Denver, CO", "Portland, OR", "07030", "NJ")
