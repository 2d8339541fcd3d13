"""Reference data the product ships and reads at run time: geography and populations (ONS), the census
profile, offence codes, outcome types, the working-day calendar, and the one vocabulary of labels."""
